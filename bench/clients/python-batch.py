#!/usr/bin/env python3
"""
The peer of `ubiops-effect batch` on the official UbiOps Python client: a JSONL file through a pipeline, one JSONL
line per input line, written as results arrive. What a competent user writes with the client: batch creates of 250
inputs, then a collect (`pipeline_requests_batch_get`) of up to 250 outstanding ids at a time, every second, until
none is outstanding.

    UBIOPS_PY_SRC=/path/to/client-library-python python3 bench/clients/python-batch.py \
        --host http://127.0.0.1:8080/v2.1 --token T --project demo --pipeline echo --input in.jsonl --output out.jsonl
"""

import argparse
import json
import os
import sys
import time
import warnings

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--host", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--project", required=True)
parser.add_argument("--pipeline", required=True)
parser.add_argument("--input", required=True)
parser.add_argument("--output", required=True)
args = parser.parse_args()

warnings.simplefilter("ignore", DeprecationWarning)  # `result`: the field the wire carries
sys.path.insert(0, os.environ.get("UBIOPS_PY_SRC", "."))
import ubiops  # noqa: E402

CHUNK = 250
FINISHED = {"completed", "failed", "cancelled"}

configuration = ubiops.Configuration(host=args.host)
configuration.api_key["Authorization"] = f"Token {args.token}"
api = ubiops.CoreApi(ubiops.ApiClient(configuration))

outstanding = {}  # request id -> input line index


def create(chunk):
    created = api.batch_pipeline_requests_create(args.project, args.pipeline, [data for _, data in chunk])
    for (index, _), request in zip(chunk, created):
        outstanding[request.id] = index


with open(args.input) as lines:
    chunk = []
    for index, line in enumerate(lines):
        if line.strip() == "":
            continue
        chunk.append((index, json.loads(line)))
        if len(chunk) == CHUNK:
            create(chunk)
            chunk = []
    if chunk:
        create(chunk)

with open(args.output, "w") as output:
    while outstanding:
        ids = list(outstanding)
        for start in range(0, len(ids), CHUNK):
            for request in api.pipeline_requests_batch_get(args.project, args.pipeline, ids[start:start + CHUNK]):
                if request.status in FINISHED:
                    index = outstanding.pop(request.id)
                    output.write(json.dumps({
                        "index": index,
                        "requestId": request.id,
                        "status": request.status,
                        "result": request.result,
                        "error": request.error_message,
                    }) + "\n")
        if outstanding:
            time.sleep(1)
