// cnirun: a container runtime's CNI side and nothing else, on libcni (the library under
// containerd's go-cni and podman's CNI backend). The e2e tests use it to drive netd-cni the way
// a runtime does: libcni picks the plugin from the conflist, passes capability arguments only
// to plugins that declare them, injects prevResult for CHECK and DEL from its result cache, and
// probes VERSION before it trusts a plugin.
//
//	cnirun -conflist FILE [flags] add|check|del|validate|cached
//	cnirun [flags] add|check|del NETWORK NETNS     (cnitool's form, for people: lab 6)
//
// add prints the result (converted to the conflist's cniVersion) as JSON; cached prints what
// libcni cached for the attachment; validate prints the capabilities of the list after asking
// every plugin for its VERSION. In the second form the network is looked up by name in
// $NETCONFPATH (default /etc/cni/net.d; a .conflist, or a single plugin's .conf) and the
// container id, unless -id is given, is derived from the netns path. -path defaults to
// $CNI_PATH. Built in GOPATH mode against Debian's golang-github-appc-cni-dev, offline (see
// tests/e2e/clients.sh and scripts/lab.sh).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// portList collects repeated -p HOST:CTR[/PROTO] flags as CNI portMappings entries.
type portList []map[string]interface{}

func (p *portList) String() string { return fmt.Sprint(len(*p)) }

func (p *portList) Set(spec string) error {
	proto := "tcp"
	if i := strings.IndexByte(spec, '/'); i >= 0 {
		spec, proto = spec[:i], spec[i+1:]
	}
	host, ctr, ok := strings.Cut(spec, ":")
	if !ok {
		return errors.New("want HOSTPORT:CTRPORT[/PROTO]")
	}
	hp, err1 := strconv.Atoi(host)
	cp, err2 := strconv.Atoi(ctr)
	if err1 != nil || err2 != nil {
		return errors.New("ports must be numbers")
	}
	*p = append(*p, map[string]interface{}{
		"hostPort": hp, "containerPort": cp, "protocol": proto,
	})
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	var ports portList
	conflist := flag.String("conflist", "", "the network configuration list (JSON file)")
	path := flag.String("path", envOr("CNI_PATH", "/opt/cni/bin"), "plugin directories, ':'-separated")
	cache := flag.String("cache", "/var/lib/cni", "libcni's result cache directory")
	netns := flag.String("netns", "", "path of the container's network namespace")
	id := flag.String("id", "", "container id")
	ifname := flag.String("ifname", "eth0", "interface name inside the container")
	args := flag.String("args", "", "CNI_ARGS, K=V;K=V")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Var(&ports, "p", "publish HOSTPORT:CTRPORT[/PROTO] (portMappings capability); repeatable")
	flag.Parse()

	var list *libcni.NetworkConfigList
	var err error
	switch {
	case *conflist != "" && flag.NArg() == 1:
		list, err = libcni.ConfListFromFile(*conflist)
	case *conflist == "" && flag.NArg() == 3:
		list, err = loadByName(envOr("NETCONFPATH", "/etc/cni/net.d"), flag.Arg(1))
		if abs, aerr := filepath.Abs(flag.Arg(2)); aerr == nil {
			*netns = abs
		}
		if *id == "" {
			sum := sha256.Sum256([]byte(*netns))
			*id = "cnirun-" + hex.EncodeToString(sum[:8])
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: cnirun -conflist FILE [flags] add|check|del|validate|cached\n"+
			"       cnirun [flags] add|check|del NETWORK NETNS")
		os.Exit(2)
	}
	if err == nil {
		err = run(flag.Arg(0), list, *path, *cache, *netns, *id, *ifname, *args, ports, *timeout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cnirun %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
}

// loadByName finds network name in dir as libcni's users do: a .conflist first, else a single
// plugin's .conf wrapped into a list of one.
func loadByName(dir, name string) (*libcni.NetworkConfigList, error) {
	if list, err := libcni.LoadConfList(dir, name); err == nil {
		return list, nil
	}
	conf, err := libcni.LoadConf(dir, name)
	if err != nil {
		return nil, fmt.Errorf("network %q in %s: %w", name, dir, err)
	}
	return libcni.ConfListFromConf(conf)
}

func run(cmd string, list *libcni.NetworkConfigList, path, cache, netns, id, ifname, args string,
	ports portList, timeout time.Duration) error {
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(path), cache, nil)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	if cmd == "validate" {
		caps, err := cni.ValidateNetworkList(ctx, list)
		if err != nil {
			return err
		}
		return printJSON(map[string]interface{}{"capabilities": caps})
	}
	if id == "" {
		return errors.New("-id is required")
	}
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: ifname}
	for _, kv := range strings.Split(args, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			rt.Args = append(rt.Args, [2]string{k, v})
		}
	}
	if len(ports) > 0 {
		rt.CapabilityArgs = map[string]interface{}{"portMappings": ports}
	}

	switch cmd {
	case "add":
		if netns == "" {
			return errors.New("-netns is required for add")
		}
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return err
		}
		return res.Print()
	case "check":
		return cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return cni.DelNetworkList(ctx, list, rt)
	case "cached":
		res, err := cni.GetNetworkListCachedResult(list, rt)
		if err != nil {
			return err
		}
		if res == nil {
			return errors.New("nothing cached")
		}
		return res.Print()
	}
	return fmt.Errorf("unknown command (want add, check, del, validate or cached)")
}

func printJSON(v interface{}) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(b))
	return err
}
