"""Checks of infra/kubernetes that Kubernetes' own schemas cannot make.

- scaledobject.yaml against KEDA's ScaledObject schema (schemas/, strict), which
  kubernetes-validate does not ship;
- the manifests agree with each other and with `stepwise worker`: the ScaledObject scales
  the Deployment, the PodDisruptionBudget selects its pods, its ServiceAccount exists and
  carries an IAM role, the probes use the --listen port, and terminationGracePeriodSeconds
  covers --grace-seconds plus one 20 s long poll.

Run by validate.sh with the jsonschema and PyYAML that kubernetes-validate brings.
"""

import json
import pathlib
import sys

import jsonschema
import yaml

HERE = pathlib.Path(__file__).resolve().parent
LONG_POLL_SECONDS = 20


def load(name):
    with open(HERE / name) as f:
        return yaml.safe_load(f)


def flag(args, name, default):
    for arg in args:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return default


def main():
    problems = []

    def expect(ok, what):
        if not ok:
            problems.append(what)

    scaled = load("scaledobject.yaml")
    schema = json.loads((HERE / "schemas" / "keda-scaledobject-v1alpha1.json").read_text())
    for error in jsonschema.Draft7Validator(schema).iter_errors(scaled):
        path = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"scaledobject.yaml: {path}: {error.message}")

    kustomization = load("kustomization.yaml")
    expect((HERE / "scaledobject.yaml").name in kustomization["resources"],
           "kustomization.yaml does not list scaledobject.yaml")
    for resource in kustomization["resources"]:
        expect((HERE / resource).is_file(), f"kustomization.yaml lists missing {resource}")

    deployment = load("deployment.yaml")
    pdb = load("poddisruptionbudget.yaml")
    account = load("serviceaccount.yaml")
    configmap = load("configmap.yaml")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    target = scaled["spec"]["scaleTargetRef"]
    expect(target.get("kind") == "Deployment" and target["name"] == deployment["metadata"]["name"],
           "the ScaledObject does not scale the Deployment")
    selector = pdb["spec"]["selector"]["matchLabels"]
    expect(all(labels.get(k) == v for k, v in selector.items()),
           "the PodDisruptionBudget does not select the Deployment's pods")
    expect(pod["spec"]["serviceAccountName"] == account["metadata"]["name"],
           "the Deployment does not use the ServiceAccount")
    expect(account["metadata"].get("annotations", {}).get("eks.amazonaws.com/role-arn", "")
           .startswith("arn:aws:iam::"), "the ServiceAccount has no IAM role annotation")

    container = pod["spec"]["containers"][0]
    args = container["args"]
    expect(args[0] == "worker", "the container does not run `stepwise worker`")
    listen = flag(args, "listen", "127.0.0.1:9464")
    host, _, port = listen.rpartition(":")
    expect(host == "0.0.0.0", f"--listen={listen} is not reachable by the kubelet")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        expect(get["path"] == "/healthz", f"{probe} does not probe /healthz")
        expect(ports.get(get["port"], get["port"]) == int(port),
               f"{probe} probes another port than --listen")
    grace = int(flag(args, "grace-seconds", "30"))
    period = pod["spec"]["terminationGracePeriodSeconds"]
    expect(period > grace + LONG_POLL_SECONDS,
           f"terminationGracePeriodSeconds {period} <= --grace-seconds {grace} + {LONG_POLL_SECONDS} s long poll")
    context = container["securityContext"]
    expect(context.get("readOnlyRootFilesystem") is True, "the root filesystem is writable")
    expect(pod["spec"]["securityContext"].get("runAsNonRoot") is True, "the pod may run as root")
    expect("limits" in container["resources"] and "requests" in container["resources"],
           "the container has no resource requests and limits")

    queues = {t.get("name"): t.get("metadata", {}).get("queueURL") for t in scaled["spec"]["triggers"]}
    data = configmap["data"]
    expect(queues.get("steps") == data["STEPWISE_STEPS_QUEUE_URL"],
           "the steps trigger watches another queue than the workers consume")
    expect(queues.get("start") == data["STEPWISE_START_QUEUE_URL"],
           "the start trigger watches another queue than the workers consume")

    for problem in problems:
        print(f"infra/kubernetes: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("infra/kubernetes: scaledobject.yaml valid against KEDA's schema; manifests consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
