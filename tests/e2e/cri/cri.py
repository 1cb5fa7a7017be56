#!/usr/bin/python3
"""A small CRI client: the calls kubelet makes to a container runtime's CRI socket, one per run.

    cri.py [--socket PATH] [--timeout S] COMMAND ARGS...

    version                          runtime name and version
    status                           JSON: {"RuntimeReady": {...}, "NetworkReady": {...}}
    update-runtime-config POD_CIDR   hand the node's pod CIDR over, as kubelet does
    image-status IMAGE               the image id; exit 1 when the runtime does not have it
    run-pod POD.json                 RunPodSandbox; prints the sandbox id
    pod-status ID                    JSON: {"state": ..., "ip": ..., "additional_ips": [...]}
    list-pods                        sandbox ids, one per line
    stop-pod ID / remove-pod ID      StopPodSandbox / RemovePodSandbox
    create-container POD_ID POD.json NAME IMAGE CMD...   prints the container id
    start-container ID / remove-container ID
    stop-container ID [TIMEOUT]      seconds before SIGKILL (default 0: at once)
    container-status ID              JSON: {"state": ..., "exit_code": ..., "reason": ...}

POD.json is a PodSandboxConfig in protobuf's JSON form (crictl's pod config format), e.g.
{"metadata": {"name": "web", "namespace": "default", "uid": "u1"},
 "portMappings": [{"containerPort": 80, "hostPort": 8080}]}.

The message classes come from cri.proto beside this file, compiled with protoc into
$CRI_PB_DIR (or a temporary directory when that is unset). The gRPC calls are plain unary
calls made with grpcio's channel API, so no gRPC code generator is needed.
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))


def load_messages():
    out = os.environ.get("CRI_PB_DIR")
    if not out:
        out = tempfile.mkdtemp(prefix="cri-pb.")
    if not os.path.exists(os.path.join(out, "cri_pb2.py")):
        subprocess.run(
            ["protoc", "-I", HERE, "--python_out=" + out, os.path.join(HERE, "cri.proto")],
            check=True,
        )
    sys.path.insert(0, out)
    return importlib.import_module("cri_pb2")


pb = load_messages()

# method -> (service, request class, response class)
CALLS = {
    "Version": ("RuntimeService", pb.VersionRequest, pb.VersionResponse),
    "Status": ("RuntimeService", pb.StatusRequest, pb.StatusResponse),
    "UpdateRuntimeConfig": (
        "RuntimeService",
        pb.UpdateRuntimeConfigRequest,
        pb.UpdateRuntimeConfigResponse,
    ),
    "RunPodSandbox": ("RuntimeService", pb.RunPodSandboxRequest, pb.RunPodSandboxResponse),
    "StopPodSandbox": ("RuntimeService", pb.StopPodSandboxRequest, pb.StopPodSandboxResponse),
    "RemovePodSandbox": (
        "RuntimeService",
        pb.RemovePodSandboxRequest,
        pb.RemovePodSandboxResponse,
    ),
    "PodSandboxStatus": (
        "RuntimeService",
        pb.PodSandboxStatusRequest,
        pb.PodSandboxStatusResponse,
    ),
    "ListPodSandbox": ("RuntimeService", pb.ListPodSandboxRequest, pb.ListPodSandboxResponse),
    "CreateContainer": (
        "RuntimeService",
        pb.CreateContainerRequest,
        pb.CreateContainerResponse,
    ),
    "StartContainer": ("RuntimeService", pb.StartContainerRequest, pb.StartContainerResponse),
    "StopContainer": ("RuntimeService", pb.StopContainerRequest, pb.StopContainerResponse),
    "RemoveContainer": (
        "RuntimeService",
        pb.RemoveContainerRequest,
        pb.RemoveContainerResponse,
    ),
    "ContainerStatus": (
        "RuntimeService",
        pb.ContainerStatusRequest,
        pb.ContainerStatusResponse,
    ),
    "ImageStatus": ("ImageService", pb.ImageStatusRequest, pb.ImageStatusResponse),
}


class Failed(Exception):
    pass


class Client:
    def __init__(self, socket, timeout):
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.timeout = timeout

    def call(self, method, request):
        service, req_cls, resp_cls = CALLS[method]
        assert isinstance(request, req_cls)
        stub = self.channel.unary_unary(
            "/runtime.v1.%s/%s" % (service, method),
            request_serializer=req_cls.SerializeToString,
            response_deserializer=resp_cls.FromString,
        )
        try:
            return stub(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise Failed("%s: %s: %s" % (method, e.code().name, e.details()))


def read_pod(path):
    with open(path) as f:
        return json_format.Parse(f.read(), pb.PodSandboxConfig())


def dump(obj):
    print(json.dumps(obj, sort_keys=True))


def cmd_version(c, a):
    r = c.call("Version", pb.VersionRequest(version="v1"))
    print("%s %s (CRI %s)" % (r.runtime_name, r.runtime_version, r.runtime_api_version))


def cmd_status(c, a):
    r = c.call("Status", pb.StatusRequest())
    dump(
        {
            cond.type: {"status": cond.status, "reason": cond.reason, "message": cond.message}
            for cond in r.status.conditions
        }
    )


def cmd_update_runtime_config(c, a):
    req = pb.UpdateRuntimeConfigRequest(
        runtime_config=pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr=a.args[0]))
    )
    c.call("UpdateRuntimeConfig", req)


def cmd_image_status(c, a):
    r = c.call("ImageStatus", pb.ImageStatusRequest(image=pb.ImageSpec(image=a.args[0])))
    if not r.HasField("image"):
        raise Failed("image %s: not present" % a.args[0])
    print(r.image.id)


def cmd_run_pod(c, a):
    r = c.call("RunPodSandbox", pb.RunPodSandboxRequest(config=read_pod(a.args[0])))
    print(r.pod_sandbox_id)


def cmd_pod_status(c, a):
    r = c.call("PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=a.args[0]))
    s = r.status
    dump(
        {
            "id": s.id,
            "name": s.metadata.name,
            "state": pb.PodSandboxState.Name(s.state),
            "ip": s.network.ip,
            "additional_ips": [x.ip for x in s.network.additional_ips],
        }
    )


def cmd_list_pods(c, a):
    r = c.call("ListPodSandbox", pb.ListPodSandboxRequest())
    for item in r.items:
        print(item.id)


def cmd_stop_pod(c, a):
    c.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=a.args[0]))


def cmd_remove_pod(c, a):
    c.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=a.args[0]))


def cmd_create_container(c, a):
    if len(a.args) < 5:
        raise Failed("create-container POD_ID POD.json NAME IMAGE CMD...")
    pod_id, pod_json, name, image = a.args[:4]
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name),
        image=pb.ImageSpec(image=image),
        command=a.args[4:],
        log_path=name + ".log",
    )
    req = pb.CreateContainerRequest(
        pod_sandbox_id=pod_id, config=cfg, sandbox_config=read_pod(pod_json)
    )
    print(c.call("CreateContainer", req).container_id)


def cmd_start_container(c, a):
    c.call("StartContainer", pb.StartContainerRequest(container_id=a.args[0]))


def cmd_stop_container(c, a):
    timeout = int(a.args[1]) if len(a.args) > 1 else 0
    c.call("StopContainer", pb.StopContainerRequest(container_id=a.args[0], timeout=timeout))


def cmd_remove_container(c, a):
    c.call("RemoveContainer", pb.RemoveContainerRequest(container_id=a.args[0]))


def cmd_container_status(c, a):
    s = c.call("ContainerStatus", pb.ContainerStatusRequest(container_id=a.args[0])).status
    dump(
        {
            "id": s.id,
            "name": s.metadata.name,
            "state": pb.ContainerState.Name(s.state),
            "exit_code": s.exit_code,
            "reason": s.reason,
            "message": s.message,
        }
    )


# command -> (handler, number of arguments: exact, or None for "at least one")
COMMANDS = {
    "version": (cmd_version, 0),
    "status": (cmd_status, 0),
    "update-runtime-config": (cmd_update_runtime_config, 1),
    "image-status": (cmd_image_status, 1),
    "run-pod": (cmd_run_pod, 1),
    "pod-status": (cmd_pod_status, 1),
    "list-pods": (cmd_list_pods, 0),
    "stop-pod": (cmd_stop_pod, 1),
    "remove-pod": (cmd_remove_pod, 1),
    "create-container": (cmd_create_container, None),
    "start-container": (cmd_start_container, 1),
    "stop-container": (cmd_stop_container, None),
    "remove-container": (cmd_remove_container, 1),
    "container-status": (cmd_container_status, 1),
}


def main():
    p = argparse.ArgumentParser(
        description="A small CRI (runtime.v1) client.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument(
        "--socket",
        default=os.environ.get("CRI_SOCKET", "/run/containerd/containerd.sock"),
        help="the runtime's CRI socket (default $CRI_SOCKET or containerd's)",
    )
    p.add_argument("--timeout", type=float, default=60, help="seconds per call (default 60)")
    p.add_argument("command", choices=sorted(COMMANDS))
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args()
    handler, nargs = COMMANDS[a.command]
    if (nargs is None and not a.args) or (nargs is not None and len(a.args) != nargs):
        p.error("%s: wrong number of arguments (see --help)" % a.command)
    try:
        handler(Client(a.socket, a.timeout), a)
    except (Failed, OSError, json_format.ParseError) as e:
        print("cri: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
