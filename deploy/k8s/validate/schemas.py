"""Writes the JSON Schemas kubeconform validates the manifests with, offline.

    python3 schemas.py <kubernetes-json-schema dir> <dapr CRD dir> <out dir>

Kubernetes: the schemas the kubernetes-validate package ships (one file per
kind and version, their shared definitions in _definitions.json), with each
file's $id dropped and every $ref made relative to the file, so that they
resolve on disk instead of at kubernetes.io. Dapr: one schema per kind and
version of each CustomResourceDefinition in the dapr module's chart (its
openAPIV3Schema), named <kind>-<group>-<version>.json.
"""
import json
import os
import sys

import yaml


def relative_refs(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$id":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("/api/_definitions.json"):
                value = value[len("/api/"):]
            out[key] = relative_refs(value)
        return out
    if isinstance(node, list):
        return [relative_refs(item) for item in node]
    return node


def kubernetes(source, out):
    os.makedirs(out, exist_ok=True)
    count = 0
    for name in os.listdir(source):
        if not name.endswith(".json") or name == "all.json":
            continue
        with open(os.path.join(source, name)) as f:
            schema = json.load(f)
        with open(os.path.join(out, name), "w") as f:
            json.dump(relative_refs(schema), f)
        count += 1
    return count


def dapr(source, out):
    os.makedirs(out, exist_ok=True)
    count = 0
    for name in sorted(os.listdir(source)):
        with open(os.path.join(source, name)) as f:
            for crd in yaml.safe_load_all(f):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                spec = crd["spec"]
                for version in spec["versions"]:
                    schema = version.get("schema", {}).get("openAPIV3Schema")
                    if schema is None:
                        continue
                    file = f"{spec['names']['kind'].lower()}-{spec['group']}-{version['name']}.json"
                    with open(os.path.join(out, file), "w") as f:
                        json.dump(schema, f)
                    count += 1
    return count


if __name__ == "__main__":
    k8s_source, dapr_source, target = sys.argv[1:4]
    print(f"{kubernetes(k8s_source, os.path.join(target, 'kubernetes'))} Kubernetes schemas, "
          f"{dapr(dapr_source, os.path.join(target, 'dapr'))} Dapr schemas in {target}")
