"""Screenshots of TensorBoard over a sweep, as a user sees it: the HPARAMS table and the Projector.

    python scripts/tensorboard_screenshots.py <sweep dir> [--out docs]

Starts ``tensorboard --logdir <sweep dir>``, opens it in Debian's headless Chromium
(``apt-get install chromium``) at 1600×1000, writes ``tensorboard_hparams.png`` and
``tensorboard_projector.png`` into ``--out`` (reduced to 256 colours, so each stays small)
and stops both programs. The README's pictures come from a sweep such as
``genclust train -m model=ae,vae seed=0,1 trainer.max_epochs=3``.

The HPARAMS page is taken with Chromium's own ``--screenshot``. The Projector draws with
WebGL, which headless Chromium has only through SwiftShader (software), and it opens with
no colouring; so that page is driven over the DevTools protocol (``--remote-debugging-pipe``,
no extra package): wait for the codes to load, colour them by label, take the picture.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

WINDOW = "1600,1000"
BASE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    f"--window-size={WINDOW}",
]
WEBGL_FLAGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]  # for the Projector
COLOUR_BY = "label"  # a column of the Projector's metadata.tsv (label, cluster, row)

# Finds an element below every shadow root and (same-origin) frame of the page: TensorBoard is
# made of web components, and shows a plugin such as the Projector in a frame of its own.
_DEEP_QUERY = """
function deep(root, selector) {
  const found = root.querySelector(selector);
  if (found) return found;
  for (const element of root.querySelectorAll('*')) {
    const inner = element.shadowRoot || (element.tagName === 'IFRAME' && element.contentDocument);
    const hit = inner && deep(inner, selector);
    if (hit) return hit;
  }
  return null;
}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logdir", type=Path, help="a sweep dir (or any folder of runs)")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder for the PNGs")
    parser.add_argument("--run", help="the run the Projector shows (default: the first)")
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("chromium not found: apt-get install chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    board = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(args.logdir),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://localhost:{port}/"
        _wait_for(url + "data/runs")
        with tempfile.TemporaryDirectory() as profile:
            hparams = args.out / "tensorboard_hparams.png"
            subprocess.run(
                [
                    browser,
                    *BASE_FLAGS,
                    "--disable-3d-apis",
                    f"--user-data-dir={profile}/hparams",
                    "--virtual-time-budget=15000",
                    f"--screenshot={hparams}",
                    url + "#hparams",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            projector = args.out / "tensorboard_projector.png"
            shot = _projector_screenshot(browser, url, f"{profile}/projector", args.run)
            projector.write_bytes(shot)
        for path in (hparams, projector):
            _shrink(path)
            print(f"{path}  {path.stat().st_size // 1024} KB")
    finally:
        board.terminate()
        board.wait(timeout=30)
    return 0


def _projector_screenshot(browser: str, url: str, profile: str, run: str | None) -> bytes:
    """The Projector on ``run``, coloured by COLOUR_BY, driven over the DevTools protocol."""
    to_browser, from_us = os.pipe()  # Chromium reads commands on its fd 3 ...
    to_us, from_browser = os.pipe()  # ... and writes replies on its fd 4

    def give_pipes() -> None:  # in the child: first out of the way of 3 and 4, then there
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    chrome = subprocess.Popen(
        [
            browser,
            *BASE_FLAGS,
            *WEBGL_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
        ],
        close_fds=False,  # keep 3 and 4 (the pipes' own ends are closed on exec)
        preexec_fn=give_pipes,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_browser)
    os.close(from_browser)
    devtools = _DevTools(os.fdopen(from_us, "wb"), os.fdopen(to_us, "rb"))
    try:
        target = devtools.call("Target.createTarget", url=url + "#projector")["targetId"]
        session = devtools.call("Target.attachToTarget", targetId=target, flatten=True)
        devtools.session = session["sessionId"]
        panel = f"{_DEEP_QUERY} const panel = deep(document, 'vz-projector-data-panel');"
        loaded = "panel && panel.spriteAndMetadata && panel.spriteAndMetadata !== window.shown"
        _until(lambda: devtools.evaluate(f"(() => {{ {panel} return !!({loaded}); }})()"), "codes")
        if run is not None:  # another run: wait for its codes in turn
            devtools.evaluate(
                f"(() => {{ {panel} window.shown = panel.spriteAndMetadata;"
                f" panel.selectedRun = {json.dumps(run)}; return true; }})()"
            )
            _until(lambda: devtools.evaluate(f"(() => {{ {panel} return !!({loaded}); }})()"), run)
        devtools.evaluate(
            f"(() => {{ {panel} panel.selectedColorOptionName = '{COLOUR_BY}'; return true; }})()"
        )
        time.sleep(3)  # let WebGL draw the coloured points
        shot = devtools.call("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])
    finally:
        chrome.terminate()
        chrome.wait(timeout=30)


class _DevTools:
    """Chrome DevTools protocol over --remote-debugging-pipe: JSON messages ending in NUL."""

    def __init__(self, writer, reader) -> None:
        self.writer, self.reader, self.session, self.next_id = writer, reader, None, 0
        self.buffer = b""

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        self.writer.write(json.dumps(message).encode() + b"\0")
        self.writer.flush()
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def _read(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = os.read(self.reader.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)


def _shrink(path: Path) -> None:
    """256 colours are plenty for a screenshot of a web page, and a fifth of the bytes."""
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            return False

    _until(answers, f"TensorBoard at {url}", seconds)


def _until(condition, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
