#!/usr/bin/env bash
# Static validation of the Kubernetes manifests (no cluster needed): every Kubernetes
# resource against the Kubernetes API's schemas with kubernetes-validate (strict: unknown
# fields fail), then check.py for the KEDA ScaledObject (its CRD is not among those
# schemas) and the manifests' agreement with each other and with `stepwise worker`.
# Installs kubernetes-validate from PyPI into a cached virtualenv when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=1.37.0
kubernetes=1.33.0
venv="${XDG_CACHE_HOME:-$HOME/.cache}/stepwise/kubernetes-validate-$version"
if [[ ! -x "$venv/bin/kubernetes-validate" ]]; then
  echo "== installing kubernetes-validate $version"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$version"
fi
cd "$here"
"$venv/bin/kubernetes-validate" --strict -k "$kubernetes" \
  serviceaccount.yaml configmap.yaml deployment.yaml poddisruptionbudget.yaml
"$venv/bin/python" check.py
