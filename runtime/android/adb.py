"""A thin ``adb`` client: find the tool, pick the device, push / pull / shell.

Every failure raises :class:`AndroidToolError` with a message that says what
to do (install platform-tools, connect/authorize the phone, pass --serial...).
Remote commands end with ``; echo __SSCODEC_RC=$?`` so the exit status is
known even from old devices whose ``adb shell`` always returns 0.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import AndroidToolError

RC_MARK = "__SSCODEC_RC="


@dataclass
class Device:
    serial: str
    state: str  # "device", "unauthorized", "offline", "no permissions", ...
    info: dict = field(default_factory=dict)  # "model:..." etc. from `adb devices -l`


def find_adb(explicit: str | None = None) -> str:
    """--adb PATH, else $ADB, else `adb` on PATH, else $ANDROID_HOME/$ANDROID_SDK_ROOT platform-tools."""
    if explicit:
        p = Path(explicit).expanduser()
        if not p.is_file() or not os.access(p, os.X_OK):
            raise AndroidToolError(f"--adb {explicit}: not an executable file")
        return str(p)
    env = os.environ.get("ADB")
    if env:
        if not (Path(env).is_file() and os.access(env, os.X_OK)):
            raise AndroidToolError(f"$ADB={env!r} is not an executable file")
        return env
    found = shutil.which("adb")
    if found:
        return found
    for var in ("ANDROID_HOME", "ANDROID_SDK_ROOT"):
        home = os.environ.get(var)
        if home and (Path(home) / "platform-tools" / "adb").is_file():
            return str(Path(home) / "platform-tools" / "adb")
    raise AndroidToolError("adb not found: install Android platform-tools (Debian: apt-get install adb) "
                           "or pass --adb PATH")


class Adb:
    def __init__(self, adb_path: str | None = None, serial: str | None = None, timeout: float = 900):
        self.path = find_adb(adb_path)
        self.serial = serial
        self.timeout = timeout

    # ------------------------------------------------------------ plumbing
    def _cmd(self, *args) -> list[str]:
        return [self.path, *(["-s", self.serial] if self.serial else []), *map(str, args)]

    def run(self, *args, timeout: float | None = None) -> subprocess.CompletedProcess:
        cmd = self._cmd(*args)
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            raise AndroidToolError(f"'{' '.join(cmd)}' timed out after {timeout or self.timeout:.0f} s") from None
        except OSError as e:
            raise AndroidToolError(f"cannot run {self.path}: {e}") from None

    # ------------------------------------------------------------ devices
    def devices(self) -> list[Device]:
        try:
            r = subprocess.run([self.path, "devices", "-l"], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise AndroidToolError("'adb devices' did not answer within 60 s (restart it: adb kill-server)") from None
        except OSError as e:
            raise AndroidToolError(f"cannot run {self.path}: {e}") from None
        if r.returncode != 0:
            raise AndroidToolError(f"'adb devices' failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()}")
        out = []
        for line in r.stdout.splitlines():
            line = line.strip()
            if not line or line.startswith(("List of devices", "*")):
                continue
            m = re.match(r"(\S+)\s+(no permissions|\S+)\s*(.*)", line)
            if not m:
                continue
            info = dict(kv.split(":", 1) for kv in m.group(3).split() if ":" in kv)
            out.append(Device(m.group(1), m.group(2), info))
        return out

    def select(self) -> Device:
        """Choose the device (``self.serial`` or the only one) and check it is usable."""
        devs = self.devices()
        if self.serial:
            d = next((d for d in devs if d.serial == self.serial), None)
            if d is None:
                listed = ", ".join(f"{x.serial} ({x.state})" for x in devs) or "none"
                raise AndroidToolError(f"device '{self.serial}' not found (adb devices lists: {listed})")
        else:
            if not devs:
                raise AndroidToolError("no device connected ('adb devices' lists none): connect a phone with USB "
                                       "debugging on, or start an emulator")
            ready = [x for x in devs if x.state == "device"]
            if len(devs) > 1 and len(ready) != 1:
                raise AndroidToolError("several devices connected; pass --serial, one of: "
                                       + ", ".join(f"{x.serial} ({x.state})" for x in devs))
            d = ready[0] if ready else devs[0]
        if d.state == "unauthorized":
            raise AndroidToolError(f"device {d.serial} is unauthorized: accept the USB debugging prompt on the phone")
        if d.state != "device":
            raise AndroidToolError(f"device {d.serial} is not ready (state '{d.state}')")
        self.serial = d.serial
        return d

    # ------------------------------------------------------------ files
    def push(self, local, remote: str) -> None:
        local = Path(local)
        if not local.exists():
            raise AndroidToolError(f"push: {local} does not exist")
        r = self.run("push", str(local), remote)
        if r.returncode != 0:
            raise AndroidToolError(f"adb push {local} {remote} failed (exit {r.returncode}): "
                                   f"{(r.stderr or r.stdout).strip()}")

    def pull(self, remote: str, local) -> Path:
        local = Path(local)
        r = self.run("pull", remote, str(local))
        if r.returncode != 0 or not local.exists():
            raise AndroidToolError(f"adb pull {remote} failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()}")
        return local

    # ------------------------------------------------------------ shell
    def shell(self, command: str | list, timeout: float | None = None) -> tuple[int, str]:
        """Runs ``command`` in the device shell; (exit status, stdout+stderr)."""
        if not isinstance(command, str):
            command = " ".join(shlex.quote(str(a)) for a in command)
        r = self.run("shell", f"{command}; echo {RC_MARK}$?", timeout=timeout)
        text = r.stdout + r.stderr
        m = None
        for m in re.finditer(re.escape(RC_MARK) + r"(\d+)", text):
            pass  # the last one is ours
        if m is None:
            raise AndroidToolError(f"adb shell failed (exit {r.returncode}): {text.strip()[-2000:]}")
        return int(m.group(1)), (text[:m.start()] + text[m.end():]).strip()

    def check_shell(self, command: str | list, what: str, timeout: float | None = None) -> str:
        rc, out = self.shell(command, timeout)
        if rc != 0:
            raise AndroidToolError(f"{what} failed on the device (exit {rc}):\n{out[-3000:]}")
        return out

    def getprop(self, name: str) -> str:
        rc, out = self.shell(["getprop", name], timeout=60)
        return out.strip() if rc == 0 else ""
