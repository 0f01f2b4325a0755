#!/usr/bin/env python3
"""Run `harness phone` and play its operator for a baresip under test.

    operator.py --phone "CMD ARGS" --phone-log FILE [--ctrl PORT]
                [--ui baresip|linphone|twinkle] --log FILE -- HARNESS ARGS...

Once the harness says it is waiting for the phone, the phone starts (CMD,
e.g. `baresip -f DIR` or `build/sim-phone ...`, output to its log); it is
stopped (SIGTERM) when the harness ends.
Every line the harness prints is copied to stdout and to the log.  When it
asks for a person (`>>> OPERATOR: ...`), this does what the prompt says,
through baresip's ctrl_tcp module on 127.0.0.1:PORT (JSON commands in
netstrings) or with a signal:

    press transfer ...      -> {"command": "transfer", "params": TRANSFER_TO}
    ... dial 4155550123 ... -> {"command": "dial", ...}, 4 s later "hangup"
    ... turn auto-answer off -> {"command": "answermode", "params": "manual"}
    ... auto-answer back on  -> {"command": "answermode", "params": "auto"}
    shut the phone down ... -> SIGTERM to baresip (an orderly shutdown);
                               once it has exited, baresip starts again
    ... press the keys 123 ... -> dial, 3 s later {"command": "sndcode"},
                               3 s later "hangup"
    press hold / resume ...  -> {"command": "hold"} / {"command": "resume"}

linphonec and twinkle-console read commands on stdin (and quit when it
closes): with --ui linphone or twinkle the phone's stdin is a pipe kept
open, and the person's actions are the UA's own commands (UI below); a
shutdown is its `quit` command.  `--init LINE` (repeatable) is written to
it at each start (linphonec's `soundcard use files`: no sound device).

Exit status: the harness's.
"""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time


def ctrl(port, command, params=""):
    msg = json.dumps({"command": command, "params": params,
                      "token": "sipconform"}).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(b"%d:%s," % (len(msg), msg))
            s.settimeout(2)
            try:
                s.recv(4096)
            except OSError:
                pass
    except OSError as e:
        print("operator: ctrl_tcp %s failed: %s" % (command, e), flush=True)


# the person's actions as each console UA spells them (None: not possible)
UI = {
    "linphone": {"manual": "autoanswer disable", "transfer": "transfer %s",
                 "dial": "call %s", "hangup": "terminate", "quit": "quit",
                 "accept": "answer", "hold": "pause", "resume": "resume",
                 "digits": "%s", "auto": "autoanswer enable"},
    "twinkle": {"manual": "auto_answer off", "transfer": "transfer %s",
                "dial": "call %s", "hangup": "bye", "quit": "quit",
                "accept": "answer", "hold": "hold", "resume": "retrieve",
                "digits": "dtmf %s", "auto": "auto_answer on"},
}


def say(phone, ui, action, arg=None):
    """One action: a ctrl_tcp command (baresip) or a stdin line."""
    if ui is None:
        names = {"manual": ("answermode", "manual"),
                 "transfer": ("transfer", arg), "dial": ("dial", arg),
                 "hangup": ("hangup", ""), "accept": ("accept", ""),
                 "hold": ("hold", ""), "resume": ("resume", ""),
                 "digits": ("sndcode", arg), "auto": ("answermode", "auto")}
        command, params = names[action]
        ctrl(phone["port"], command, params)
        return
    line = UI[ui][action] % arg if arg else UI[ui][action]
    try:
        phone["proc"].stdin.write(line + "\n")
        phone["proc"].stdin.flush()
    except (OSError, ValueError) as e:
        print("operator: %s failed: %s" % (line, e), flush=True)


def start(phone_cmd, blog, ui, init=()):
    proc = subprocess.Popen(phone_cmd, stdin=subprocess.PIPE if ui
                            else subprocess.DEVNULL, stdout=blog,
                            stderr=subprocess.STDOUT, text=True)
    for line in init if ui else ():
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
    return proc


def main():
    args = sys.argv[1:]
    if "--" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    sep = args.index("--")
    opts, cmd = args[:sep], args[sep + 1:]
    phone_cmd = shlex.split(opts[opts.index("--phone") + 1])
    blog = open(opts[opts.index("--phone-log") + 1], "w")
    port = int(opts[opts.index("--ctrl") + 1]) if "--ctrl" in opts else 0
    ui = opts[opts.index("--ui") + 1] if "--ui" in opts else None
    init = [opts[i + 1] for i, o in enumerate(opts) if o == "--init"]
    if ui == "baresip":
        ui = None
    baresip = None
    phone = {"port": port}
    log = open(opts[opts.index("--log") + 1], "w")
    transfer_to = os.environ.get("TRANSFER_TO",
                                 "sip:bob@example.sip.us1.twilio.com")

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, bufsize=1)
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        log.write(line)
        log.flush()
        if baresip is None and line.startswith("Waiting up to"):
            baresip = phone["proc"] = start(phone_cmd, blog, ui, init)
        m = re.match(r">>> OPERATOR: (.*)", line)
        if not m or baresip is None:
            continue
        what = m.group(1)
        if "auto-answer off" in what:
            print("operator: answermode manual", flush=True)
            say(phone, ui, "manual")
            continue
        if "auto-answer back on" in what:
            print("operator: answermode auto", flush=True)
            say(phone, ui, "auto")
            continue
        time.sleep(1)
        if "transfer" in what:
            print("operator: transfer to %s" % transfer_to, flush=True)
            say(phone, ui, "transfer", transfer_to)
        elif "press the keys" in what:
            number = re.search(r"dial (\S+)", what).group(1)
            keys = re.search(r"press the keys (\S+)", what).group(1)
            keys = keys.rstrip(",.")
            print("operator: dial %s, press %s" % (number, keys), flush=True)
            say(phone, ui, "dial", number)
            threading.Timer(3.0, say, (phone, ui, "digits", keys)).start()
            threading.Timer(7.0, say, (phone, ui, "hangup")).start()
        elif "press hold" in what:
            print("operator: hold", flush=True)
            say(phone, ui, "hold")
        elif "press resume" in what:
            print("operator: resume", flush=True)
            say(phone, ui, "resume")
        elif "dial" in what:
            number = re.search(r"dial (\S+)", what).group(1)
            print("operator: dial %s" % number, flush=True)
            say(phone, ui, "dial", number)
            threading.Timer(4.0, say, (phone, ui, "hangup")).start()
        elif "shut the phone down" in what:
            print("operator: shut the phone down, then start it again",
                  flush=True)
            if ui:
                say(phone, ui, "quit")
            else:
                baresip.send_signal(signal.SIGTERM)
            try:
                baresip.wait(10)
            except subprocess.TimeoutExpired:
                baresip.kill()
                baresip.wait()
            # not at once: the service allows 5 REGISTERs a second per AOR
            time.sleep(2)
            baresip = phone["proc"] = start(phone_cmd, blog, ui, init)
        elif "answer the call" in what:
            say(phone, ui, "accept")
    status = proc.wait()
    if baresip is not None and baresip.poll() is None:
        if ui:
            say(phone, ui, "quit")
            try:
                baresip.wait(5)
            except subprocess.TimeoutExpired:
                pass
    if baresip is not None and baresip.poll() is None:
        baresip.send_signal(signal.SIGTERM)
        try:
            baresip.wait(5)
        except subprocess.TimeoutExpired:
            baresip.kill()
            baresip.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
