"""The manager dashboard in headless Chromium (Playwright): seeded with the CFPB sample and a
day of live demo complaints, the page must show the API's numbers; the screenshot is kept as a
test artifact."""
import os
import signal
import subprocess
import sys
import tempfile

import harness

BINARY, SCREENSHOT = sys.argv[1], sys.argv[2]
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    work = tempfile.mkdtemp(prefix="bounceback-dashboard-")
    port = harness.free_port()
    cfg = os.path.join(work, "bounceback.yaml")
    data = os.path.join(work, "data")
    with open(os.path.join(SOURCE, "config", "bounceback.yaml")) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(text)
    args = ["--config", cfg, "--data", data]
    out = harness.run(BINARY, "import", "--format", "cfpb", os.path.join(SOURCE, "data", "cfpb-complaints-sample.csv"), *args)
    harness.check(out.returncode == 0, out.stderr)
    events = os.path.join(work, "demo.jsonl")
    with open(events, "w") as f:
        subprocess.run([sys.executable, os.path.join(SOURCE, "scripts", "demo-events.py")], stdout=f, check=True)
    out = harness.run(BINARY, "process", *args, "--input", events)
    harness.check(out.returncode == 0, out.stderr)
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([BINARY, "serve", "--config", cfg, "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                            stdout=log, stderr=log)
    try:
        harness.wait_ready(port, proc)
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        check = subprocess.run(["node", os.path.join(SOURCE, "tests", "browser", "dashboard_check.mjs"),
                                f"http://127.0.0.1:{port}", "demo-manager-token", SCREENSHOT])
        harness.check(check.returncode == 0, "the dashboard must show the API's numbers")
        harness.check(os.path.getsize(SCREENSHOT) > 10000, "a screenshot was saved")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
