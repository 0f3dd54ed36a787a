#!/usr/bin/env python3
"""
Drives the official UbiOps Python client (4.12) and CLI (2.28), unchanged, against the emulator.

The client and CLI sources are not part of this repository: pass checkouts of
github.com/UbiOps/client-library-python (4.12.0) and github.com/UbiOps/command-line-interface (2.28.0). They need
requests, python-dateutil, urllib3, tqdm, click, tabulate, pyyaml (Debian: python3-requests python3-dateutil
python3-tqdm python3-click python3-tabulate python3-yaml).

    python3 packages/emulator/compat/python-client.py --client /path/to/client-library-python \
        --cli /path/to/command-line-interface

By default the script starts the emulator itself (`tsx packages/emulator/src/bin.ts --port 0 --config
packages/emulator/compat/pipelines.json`, which is what `pnpm emulator` runs), reads the base URL and token it
prints, and stops it with SIGINT at the end (checking that it exits cleanly). With `--host URL --token T` it uses
an emulator that is already running (started with that config file). The CLI keeps its configuration in
`<cli checkout>/ubiops_cli/.config`; the script saves and restores that file.

Exit status 0 when every check passed.
"""

import argparse
import contextlib
import io
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--client", required=True, help="checkout of the official Python client (4.12)")
parser.add_argument("--cli", help="checkout of the official CLI (2.28); the CLI checks are skipped without it")
parser.add_argument("--host", help="base URL of a running emulator (http://127.0.0.1:PORT/v2.1)")
parser.add_argument("--token", help="its token")
parser.add_argument("--skip-rate-limit", action="store_true", help="skip the 429 checks (they wait up to a minute)")
args = parser.parse_args()

sys.path.insert(0, os.path.abspath(args.client))
if args.cli:
    sys.path.insert(0, os.path.abspath(args.cli))

warnings.simplefilter("ignore", DeprecationWarning)

import ubiops  # noqa: E402
from ubiops.exceptions import ApiRequestError, ApiValueError, UbiOpsException  # noqa: E402
from ubiops.utils.wait_for import StatusError  # noqa: E402

results = []


def check(name):
    def run(function):
        started = time.time()
        try:
            function()
            results.append((name, True, ""))
            print(f"PASS {name} ({time.time() - started:.1f}s)", flush=True)
        except Exception as error:  # noqa: BLE001
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            results.append((name, False, detail))
            print(f"FAIL {name}: {detail}", flush=True)
            traceback.print_exc()
        return function

    return run


def expect(condition, message="expectation failed"):
    if not condition:
        raise AssertionError(message)


def expect_api_error(status, call, message=None):
    try:
        call()
    except ApiRequestError as error:
        expect(error.status == status, f"expected HTTP {status}, got {error.status}: {error}")
        body = json.loads(error.body)
        expect(isinstance(body.get("error"), str) and body["error"], f"error body without 'error': {error.body}")
        if message is not None:
            expect(re.search(message, body["error"]), f"'{body['error']}' does not match '{message}'")
        expect(f"({status})" in str(error), f"str(error) does not name the status: {error}")
        return error
    raise AssertionError(f"expected HTTP {status}, the call succeeded")


# --------------------------------------------------------------------------------------------------
# the emulator

emulator = None
if args.host is None:
    command = [
        os.path.join(REPO, "node_modules", ".bin", "tsx"),
        os.path.join(REPO, "packages", "emulator", "src", "bin.ts"),
        "--port",
        "0",
        "--config",
        os.path.join(HERE, "pipelines.json"),
    ]
    emulator = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    host = token = None
    deadline = time.time() + 60
    while (host is None or token is None) and time.time() < deadline:
        line = emulator.stdout.readline()
        if line == "":
            break
        print(f"[emulator] {line.rstrip()}")
        if "base URL:" in line:
            host = line.split("base URL:")[1].strip()
        if "token:" in line:
            token = line.split("token:")[1].strip()
    if host is None or token is None:
        emulator.kill()
        sys.exit("the emulator did not print its base URL and token")
else:
    host, token = args.host, args.token
    if token is None:
        sys.exit("--host needs --token")

origin = host.rsplit("/v2.1", 1)[0]


def set_faults(faults):
    request = urllib.request.Request(
        f"{origin}/_emulator/faults",
        data=json.dumps(faults).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def stats():
    with urllib.request.urlopen(f"{origin}/_emulator/stats") as response:
        return json.load(response)


def make_client(api_token=None, auto_retry=True):
    configuration = ubiops.Configuration(host=host, api_key={"Authorization": api_token or token})
    configuration.auto_retry_rate_limiting = auto_retry
    return ubiops.ApiClient(configuration)


api_client = make_client()
core = ubiops.CoreApi(api_client)
P = "demo"

# --------------------------------------------------------------------------------------------------
# the Python client: every pipeline-request method


@check("configuration: host normalisation and the Token prefix")
def _():
    configuration = ubiops.Configuration(host=origin, api_key={"Authorization": f"Token {token}"})
    expect(configuration.host == host, configuration.host)
    status = ubiops.CoreApi(ubiops.ApiClient(configuration)).service_status()
    expect(status.status == "ok")


@check("pipelines_get: what the CLI reads first")
def _():
    pipeline = core.pipelines_get(P, "echo-plain")
    expect(pipeline.name == "echo-plain" and pipeline.project == P)
    expect(pipeline.input_type == "plain" and pipeline.output_type == "plain")


@check("batch_pipeline_requests_create / batch_pipeline_version_requests_create")
def _():
    created = core.batch_pipeline_requests_create(P, "echo", [{"n": 1}, {"n": 2, "text": "é"}], timeout=600)
    expect(len(created) == 2 and all(item.status == "pending" for item in created))
    expect(created[0].time_created.tzinfo is not None, "time_created must carry an offset")
    expect(created[0].pipeline == "echo" and created[0].version == "v1")
    versioned = core.batch_pipeline_version_requests_create(P, "echo", "v1", [{"n": 3}], priority=0)
    expect(versioned[0].version == "v1")
    plain = core.batch_pipeline_requests_create(P, "echo-plain", ["one", "two"])
    expect(len(plain) == 2)


@check("pipeline_requests_create / pipeline_version_requests_create (structured, plain, deprecated pipeline_timeout)")
def _():
    response = core.pipeline_requests_create(P, "echo", {"input_field": 23.5}, timeout=100, priority=0)
    expect(response.status == "completed", response)
    expect(response.result == {"input_field": 23.5}, response.result)
    expect(response.pipeline_timeout == 100)
    expect(len(response.deployment_requests) == 1 and len(response.operator_requests) == 1)
    expect(len(response.pipeline_requests) == 1)
    expect(all(re.fullmatch(r"\d{17}", r.sequence_id) for r in response.deployment_requests + response.operator_requests))
    plain = core.pipeline_requests_create(P, "echo-plain", "plain text é")
    expect(plain.result == "plain text é", plain.result)
    versioned = core.pipeline_version_requests_create(P, "echo", "v1", {"a": [1, 2]})
    expect(versioned.result == {"a": [1, 2]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = core.pipeline_requests_create(P, "echo", {"b": 1}, pipeline_timeout=50)
    expect(legacy.status == "completed")
    listed = core.pipeline_requests_create(P, "echo", [{"x": 1}])
    expect(listed.result == [{"x": 1}])
    failed = core.pipeline_requests_create("compat", "failing", {"a": 1})
    expect(failed.status == "failed" and "Invalid message format" in failed.error_message, failed)


@check("pipeline_requests_get / pipeline_version_requests_get, with and without metadata_only")
def _():
    created = core.pipeline_requests_create(P, "echo", {"g": 1})
    detail = core.pipeline_requests_get(P, "echo", created.id)
    expect(detail.request_data == {"g": 1} and detail.result == {"g": 1})
    expect(detail.input_size == 7 and detail.output_size == 7, (detail.input_size, detail.output_size))
    expect(detail.origin and "created_by" in detail.origin)
    expect(detail.time_created <= detail.time_started <= detail.time_completed)
    metadata = core.pipeline_requests_get(P, "echo", created.id, metadata_only=True)
    expect(metadata.request_data is None and metadata.result is None)
    versioned = core.pipeline_version_requests_get(P, "echo", created.id, "v1", metadata_only=False)
    expect(versioned.id == created.id)


@check("pipeline_requests_batch_get / pipeline_version_requests_batch_get")
def _():
    created = core.batch_pipeline_requests_create(P, "echo", [{"c": n} for n in range(5)])
    time.sleep(0.2)
    ids = [item.id for item in created]
    collected = core.pipeline_requests_batch_get(P, "echo", ids)
    expect(sorted(item.id for item in collected) == sorted(ids))
    expect(all(item.status == "completed" for item in collected))
    versioned = core.pipeline_version_requests_batch_get(P, "echo", "v1", ids[:2])
    expect(len(versioned) == 2)


@check("pipeline_requests_list / pipeline_version_requests_list with every filter")
def _():
    created = core.pipeline_requests_create(P, "echo", {"l": 1})
    listed = core.pipeline_requests_list(P, "echo", limit=5, offset=0)
    expect(0 < len(listed) <= 5 and listed[0].id == created.id, [item.id for item in listed])
    combined = core.pipeline_requests_list(P, "echo", status="completed,failed", limit=50)
    expect(all(item.status in ("completed", "failed") for item in combined))
    searched = core.pipeline_requests_list(P, "echo", search_id=created.id[-12:])
    expect([item.id for item in searched] == [created.id])
    dated = core.pipeline_version_requests_list(
        P, "echo", "v1", start_date="2000-01-01T00:00:00Z", end_date="2999-01-01T00:00:00Z", limit=1
    )
    expect(len(dated) == 1)
    pending = core.pipeline_requests_list(P, "sleep", status="pending")
    expect(isinstance(pending, list))


@check("pipeline_requests_update / pipeline_version_requests_update (cancel one)")
def _():
    created = core.batch_pipeline_requests_create(P, "sleep", [{"seconds": 300}, {"seconds": 300}])
    updated = core.pipeline_requests_update(P, "sleep", created[0].id, {"status": "cancelled"})
    expect(updated["status"] == "cancelled", updated)
    model = ubiops.PipelineRequestUpdate(status="cancelled")
    core.pipeline_version_requests_update(P, "sleep", created[1].id, "v1", model)
    expect(core.pipeline_requests_get(P, "sleep", created[1].id).status == "cancelled")
    expect_api_error(400, lambda: core.pipeline_requests_update(P, "sleep", created[0].id, {"status": "completed"}))


@check("pipeline_requests_batch_cancel / pipeline_version_requests_batch_cancel (ids, and all pending)")
def _():
    created = core.batch_pipeline_requests_create(P, "sleep", [{"seconds": 300} for _ in range(6)])
    answer = core.pipeline_requests_batch_cancel(P, "sleep", [created[5].id])
    expect(answer == {}, answer)
    expect(core.pipeline_requests_get(P, "sleep", created[5].id).status == "cancelled")
    core.pipeline_version_requests_batch_cancel(P, "sleep", "v1", [], status="pending")
    core.pipeline_requests_batch_cancel(P, "sleep", [], status="processing")
    statuses = {item.status for item in core.pipeline_requests_batch_get(P, "sleep", [item.id for item in created])}
    expect(statuses == {"cancelled"}, statuses)


@check("pipeline_requests_delete / pipeline_version_requests_delete (204) and the batch deletes")
def _():
    created = core.batch_pipeline_requests_create(P, "echo", [{"d": n} for n in range(6)])
    time.sleep(0.2)
    ids = [item.id for item in created]
    expect(core.pipeline_requests_delete(P, "echo", ids[0]) is None)
    info = ubiops.api.pipeline_requests.PipelineRequests(api_client).pipeline_version_requests_delete_with_http_info(
        P, "echo", ids[1], "v1", _return_http_data_only=False
    )
    expect(info[1] == 204, info)
    expect_api_error(404, lambda: core.pipeline_requests_batch_delete(P, "echo", [ids[0], ids[2]]))
    expect(len(core.pipeline_requests_batch_get(P, "echo", ids[2:])) == 4, "a failed batch delete deleted something")
    core.pipeline_requests_batch_delete(P, "echo", ids[2:4])
    core.pipeline_version_requests_batch_delete(P, "echo", "v1", ids[4:])
    expect_api_error(404, lambda: core.pipeline_requests_get(P, "echo", ids[5]))


@check("pipeline_version_object_requests_get with metadata_only, pipeline_request_id, pipeline_object_id")
def _():
    created = core.pipeline_requests_create(P, "echo", {"o": 1})
    operator = created.operator_requests[0]
    detail = core.pipeline_version_object_requests_get(
        P, "echo", operator.id, "v1", metadata_only=True, pipeline_request_id=created.id, pipeline_object_id="any"
    )
    expect(detail.pipeline_request_id == created.id and detail.pipeline_object == "echo-function")
    expect(detail.operator == "function" and detail.status == "completed")
    full = core.pipeline_version_object_requests_get(P, "echo", operator.id, "v1")
    expect(full.result == {"o": 1})


@check("the six input and output downloads (raw response, and saved to a file)")
def _():
    created = core.pipeline_requests_create(P, "echo", {"file": "é"})
    operator = created.operator_requests[0]
    raw = core.pipeline_requests_input_get(P, "echo", created.id)
    expect(raw.json() == {"file": "é"} and raw.getfilename() == f"{created.id}-input.json", raw.getfilename())
    expect(core.pipeline_requests_output_get(P, "echo", created.id).json() == {"file": "é"})
    expect(core.pipeline_version_requests_input_get(P, "echo", created.id, "v1").json() == {"file": "é"})
    expect(core.pipeline_version_requests_output_get(P, "echo", created.id, "v1").json() == {"file": "é"})
    expect(core.pipeline_version_object_requests_input_get(P, "echo", operator.id, "v1").json() == {"file": "é"})
    expect(core.pipeline_version_object_requests_output_get(P, "echo", operator.id, "v1").json() == {"file": "é"})
    folder = tempfile.mkdtemp()
    try:
        api_client.configuration.temp_folder_path = folder
        path = core.pipeline_requests_output_get(P, "echo", created.id, _preload_content=True)
        expect(os.path.basename(path) == f"{created.id}-output.json", path)
        with open(path, encoding="utf-8") as file:
            expect(json.load(file) == {"file": "é"})
    finally:
        api_client.configuration.temp_folder_path = None
        shutil.rmtree(folder)
    plain = core.pipeline_requests_create(P, "echo-plain", "text out")
    expect(core.pipeline_requests_output_get(P, "echo-plain", plain.id).read() == b"text out")


@check("names that need percent-encoding: version 'v 2/x' of pipeline 'odd names'")
def _():
    response = core.pipeline_version_requests_create("compat", "odd names", "v 2/x", {"k": 1})
    expect(response.version == "v 2/x" and response.result == {"version": 2}, response)
    expect(core.pipeline_version_requests_get("compat", "odd names", response.id, "v 2/x").id == response.id)
    expect(core.pipeline_requests_create("compat", "odd names", {"k": 1}).version == "v1")


@check("stream_pipeline_request: partial results, then the final response")
def _():
    updates = list(ubiops.utils.stream_pipeline_request(api_client, P, "sleep", data={"seconds": 2}, full_response=True))
    expect(updates[:2] == ["slept 1 of 2 seconds", "slept 2 of 2 seconds"], updates)
    final = updates[-1]
    expect(isinstance(final, ubiops.PipelineRequestCreateResponse) and final.status == "completed", final)
    plain = list(ubiops.utils.stream_pipeline_request(api_client, P, "echo-plain", version="v1", data="hi", full_response=True))
    expect(plain[-1].result == "hi", plain)
    quiet = list(ubiops.utils.stream_pipeline_request(api_client, P, "echo", data=[{"s": 1}]))
    expect(quiet == [], quiet)
    try:
        list(ubiops.utils.stream_pipeline_request(api_client, "compat", "failing", data={"a": 1}))
        raise AssertionError("a failed stream must raise")
    except UbiOpsException as error:
        expect("Invalid message format" in str(error), error)


@check("wait_for_pipeline_request / wait_for_pipeline_version_request (completed, and failed/cancelled)")
def _():
    created = core.batch_pipeline_requests_create(P, "sleep", [{"seconds": 1}])[0]
    with contextlib.redirect_stdout(io.StringIO()) as output:
        ubiops.utils.wait_for_pipeline_request(api_client, P, "sleep", created.id, timeout=30)
    expect("Pipeline request: completed" in output.getvalue(), output.getvalue())
    expect(core.pipeline_requests_get(P, "sleep", created.id).status == "completed")
    done = core.pipeline_requests_create(P, "echo", {"w": 1})
    ubiops.utils.wait_for_pipeline_version_request(api_client, P, "echo", "v1", done.id, quiet=True)
    cancelled = core.batch_pipeline_requests_create(P, "sleep", [{"seconds": 300}])[0]
    core.pipeline_requests_update(P, "sleep", cancelled.id, {"status": "cancelled"})
    try:
        ubiops.utils.wait_for_pipeline_request(api_client, P, "sleep", cancelled.id, quiet=True)
        raise AssertionError("a cancelled request must raise StatusError")
    except StatusError as error:
        expect("cancelled" in str(error), error)
    failing = core.batch_pipeline_requests_create("compat", "failing", [{"a": 1}])[0]
    try:
        ubiops.utils.wait_for_pipeline_request(api_client, "compat", "failing", failing.id, quiet=True)
        raise AssertionError("a failed request must raise StatusError")
    except StatusError as error:
        expect("Invalid message format" in str(error), error)


@check("errors: 401, 404 and 400 with the server's message; client-side validation sends nothing")
def _():
    intruder = ubiops.CoreApi(make_client(api_token="Token wrong"))
    expect_api_error(401, lambda: intruder.pipeline_requests_list(P, "echo"))
    expect_api_error(401, lambda: intruder.pipeline_requests_list("no-such-project", "echo"))
    expect_api_error(404, lambda: core.pipeline_requests_list("no-such-project", "echo"), "no-such-project")
    expect_api_error(404, lambda: core.pipeline_requests_get(P, "nope", "x"), "nope")
    expect_api_error(404, lambda: core.pipeline_version_requests_list(P, "echo", "v9"), "v9")
    expect_api_error(404, lambda: core.pipeline_requests_batch_get(P, "echo", ["00000000-0000-4000-8000-000000000000"]))
    expect_api_error(400, lambda: core.pipeline_requests_create(P, "echo", {"a": 1}, timeout=5), "timeout")
    expect_api_error(400, lambda: core.batch_pipeline_requests_create(P, "echo", [{}] * 251), "250")
    expect_api_error(400, lambda: core.pipeline_requests_list(P, "echo", status="pending,completed"), "combined")
    expect_api_error(400, lambda: core.pipeline_requests_create(P, "echo-plain", {"a": 1}), "plain")
    before = stats()["calls"].get("batchPipelineRequestsCreate", 0)
    try:
        core.batch_pipeline_requests_create(P, "echo", {"not": "a list"})
        raise AssertionError("the client should refuse a non-list batch")
    except ApiValueError:
        pass
    expect(stats()["calls"].get("batchPipelineRequestsCreate", 0) == before, "a refused call reached the server")


@check("429: automatic retry after x-ratelimit-reset, and a raised error without it")
def _():
    if args.skip_rate_limit:
        print("  (skipped)")
        return
    limit = 4
    set_faults({"rateLimitPerMinute": limit})
    try:
        status = ubiops.api.status.Status(api_client)
        headers = None
        for _ in range(limit):
            _, code, headers = status.service_status_with_http_info(_return_http_data_only=False)
            expect(code == 200)
        expect(headers["x-ratelimit-remaining"] == "0", dict(headers))
        reset = int(headers["x-ratelimit-reset"])
        no_retry = ubiops.CoreApi(make_client(auto_retry=False))
        expect_api_error(429, lambda: no_retry.pipeline_requests_list(P, "echo"), "Rate limit")
        # wait until the window is about to reset, so that the automatic retry is short
        time.sleep(max(0, reset - 2))
        records = []

        class Capture(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())

        handler = Capture()
        logging.getLogger("ubiops.rest").addHandler(handler)
        try:
            started = time.time()
            listed = core.pipeline_requests_list(P, "echo", limit=1)
            elapsed = time.time() - started
        finally:
            logging.getLogger("ubiops.rest").removeHandler(handler)
        expect(isinstance(listed, list))
        expect(any("Rate Limit Exceeded" in message for message in records), records)
        expect(elapsed >= 1, f"retried after {elapsed:.1f}s")
        expect(stats()["responses"].get("429", 0) >= 2)
    finally:
        set_faults({})


# --------------------------------------------------------------------------------------------------
# the CLI

if args.cli:
    cli_config = os.path.join(os.path.abspath(args.cli), "ubiops_cli", ".config")
    saved_config = None
    if os.path.exists(cli_config):
        with open(cli_config, encoding="utf-8") as file:
            saved_config = file.read()

    def ubiops_cli(*arguments, expect_failure=False):
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path[:2]))
        completed = subprocess.run(
            [sys.executable, "-c", "from ubiops_cli.main import main; main()", *arguments],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )
        output = completed.stdout + completed.stderr
        if expect_failure:
            expect(completed.returncode != 0, f"ubiops {' '.join(arguments)} should fail:\n{output}")
        else:
            expect(completed.returncode == 0, f"ubiops {' '.join(arguments)} exited {completed.returncode}:\n{output}")
        return output

    @check("CLI: ubiops signin --token (status, user, projects), status, current project")
    def _():
        output = ubiops_cli("signin", "--token", "--api", host, "-p", f"Token {token}")
        expect("Welcome to UbiOps!" in output, output)
        expect("Selected project" in output, output)
        ubiops_cli("current_project", "set", "demo")
        output = ubiops_cli("status")
        expect("Authorized" in output and "project: demo" in output, output)

    created_ids = []

    @check("CLI: pipelines requests create, structured, direct (stream), in every format")
    def _():
        output = ubiops_cli("pipelines", "requests", "create", "echo", "--data", '{"cli": 1}')
        expect("completed" in output and '"cli": 1' in output.replace("'", '"'), output)
        output = ubiops_cli("pipelines", "requests", "create", "echo", "--data", '{"cli": 2}', "-fmt", "json")
        [response] = json.loads(output)
        expect(response["status"] == "completed" and response["result"] == [{"cli": 2}], response)
        created_ids.append(response["id"])
        output = ubiops_cli("pipelines", "requests", "create", "echo", "-v", "v1", "-t", "100", "--data", '{"cli": 3}', "-fmt", "oneline")
        expect(re.search(r"[0-9a-f-]{36} completed", output), output)
        output = ubiops_cli("pipelines", "requests", "create", "sleep", "--data", '{"seconds": 1}')
        expect("slept 1 of 1 seconds" in output, output)

    @check("CLI: pipelines requests create, plain, direct: one stream per --data")
    def _():
        output = ubiops_cli("pipelines", "requests", "create", "echo-plain", "--data", "hello", "--data", "world", "-fmt", "oneline")
        expect("hello" in output and "world" in output and output.count("completed") == 2, output)

    @check("CLI: pipelines requests create --batch, structured and plain, and from a file")
    def _():
        output = ubiops_cli("pipelines", "requests", "create", "echo", "--batch", "--data", '{"b": 1}', "--data", '{"b": 2}', "-fmt", "json")
        batch = json.loads(output)
        expect(len(batch) == 2 and all(item["status"] == "pending" for item in batch), batch)
        created_ids.extend(item["id"] for item in batch)
        output = ubiops_cli("pipelines", "requests", "create", "echo-plain", "--batch", "--data", "p1", "-fmt", "oneline")
        expect("pending" in output, output)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump([{"f": 1}, {"f": 2}], file)
        try:
            output = ubiops_cli("pipelines", "requests", "create", "echo", "--batch", "-f", file.name, "-fmt", "json")
            expect(len(json.loads(output)) == 2, output)
        finally:
            os.unlink(file.name)
        output = ubiops_cli("pipelines", "requests", "create", "echo", "--batch", "--data", '{"b": 3}')
        expect("pending" in output, output)

    @check("CLI: pipelines requests get (collect), in every format")
    def _():
        time.sleep(0.3)
        arguments = ["pipelines", "requests", "get", "echo"]
        for request_id in created_ids[:3]:
            arguments += ["-id", request_id]
        output = ubiops_cli(*arguments)
        expect(all(request_id in output for request_id in created_ids[:3]), output)
        expect("echo-deployment" in output and "echo-function" in output, output)
        output = ubiops_cli(*arguments, "-fmt", "oneline")
        expect(output.count("completed") == 3, output)
        output = ubiops_cli(*arguments, "-fmt", "json")
        expect(len(json.loads(output)) == 3, output)
        output = ubiops_cli("pipelines", "requests", "get", "echo", "-v", "v1", "-id", created_ids[0], "-fmt", "json")
        expect(json.loads(output)[0]["id"] == created_ids[0], output)

    @check("CLI: pipelines requests list, with filters, table and json")
    def _():
        output = ubiops_cli("pipelines", "requests", "list", "echo")
        expect("ID" in output and "STATUS" in output and "TIME_CREATED" in output, output)
        output = ubiops_cli("pipelines", "requests", "list", "echo", "--limit", "2", "-fmt", "json")
        expect(len(json.loads(output.split("(Use the")[0])) == 2, output)
        expect("(Use the <offset> and <limit> options to load more)" in output, output)
        output = ubiops_cli(
            "pipelines", "requests", "list", "echo", "-v", "v1", "--status", "completed", "--offset", "1",
            "--start_date", "2000-01-01T00:00:00Z", "--end_date", "2999-01-01T00:00:00Z",
            "--search_id", created_ids[0][-12:], "-fmt", "json",
        )
        expect(json.loads(output) == [], output)
        output = ubiops_cli("pipelines", "requests", "list", "echo", "--search_id", created_ids[0][-12:], "-fmt", "json")
        expect([item["id"] for item in json.loads(output)] == [created_ids[0]], output)

    @check("CLI: errors are printed with the server's message and exit non-zero")
    def _():
        output = ubiops_cli("pipelines", "requests", "get", "echo", "-id", "00000000-0000-4000-8000-000000000000", expect_failure=True)
        expect("not found" in output.lower(), output)
        output = ubiops_cli("pipelines", "requests", "create", "nope", "--data", "{}", expect_failure=True)
        expect("nope" in output, output)
        output = ubiops_cli("pipelines", "requests", "create", "echo", "-t", "5", "--data", "{}", "--batch", expect_failure=True)
        expect("timeout" in output, output)

    if saved_config is None:
        if os.path.exists(cli_config):
            os.unlink(cli_config)
    else:
        with open(cli_config, "w", encoding="utf-8") as file:
            file.write(saved_config)

# --------------------------------------------------------------------------------------------------

api_client.close()
if emulator is not None:
    emulator.send_signal(signal.SIGINT)
    try:
        code = emulator.wait(timeout=20)
        rest = emulator.stdout.read()
        print("".join(f"[emulator] {line}\n" for line in rest.splitlines()), end="")
        results.append(("the emulator stops cleanly on SIGINT", code == 0, f"exit code {code}"))
        print(f"{'PASS' if code == 0 else 'FAIL'} the emulator stops cleanly on SIGINT (exit code {code})")
    except subprocess.TimeoutExpired:
        emulator.kill()
        results.append(("the emulator stops cleanly on SIGINT", False, "it did not stop within 20 s"))
        print("FAIL the emulator stops cleanly on SIGINT: it did not stop within 20 s")

failed = [name for name, ok, _ in results if not ok]
print(f"\n{len(results) - len(failed)} of {len(results)} checks passed")
for name in failed:
    print(f"  failed: {name}")
sys.exit(1 if failed else 0)
