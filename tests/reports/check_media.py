#!/usr/bin/env python3
"""Checks the media of a report: results.json's figures and report.html's
rows, audio and waveforms, as a browser built the page (the DOM of
`chromium --headless --dump-dom`).

- results.json: each phone of BOTH_WAYS_FILE has one call's media with
  packets > 0 received and sent, and heard the tone given (PHONE:HZ);
  the phone of ONE_WAY ("FILE:PHONE") is one-way (it sent nothing);
- report.html: under each of those scenarios' ladders a media row per
  phone and direction; each received row has an <audio> whose src is a
  data:audio/wav;base64 URI decoding to a RIFF/WAVE file, 16-bit mono at
  8 kHz, of the samples results.json says (AUDIO_SAMPLES of them), whose
  own dominant tone (Goertzel) is the one heard; an inline SVG waveform
  of one bar per column that is not flat; the one-way row is marked and
  its verdict names MEDIA-RTP-3; the both-ways scenario has none.

usage: check_media.py DOM.html results.json BOTH_WAYS_FILE "PHONE:HZ ..."
                      AUDIO_SAMPLES ONE_WAY_FILE:PHONE
"""

import base64
import io
import json
import math
import sys
import wave

sys.path.insert(0, __import__("os").path.dirname(__file__))
from check_dom import Builder  # noqa: E402

TONES = [350, 440, 500, 550, 600, 700, 800, 900, 1000, 1200, 1400, 1600,
         1800, 2000]
WAVE_BARS = 240
errors = []


def err(what):
    errors.append(what)


def power(samples, hz, rate=8000):
    """Goertzel power of hz over samples"""
    k = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def wav_of(where, src, want_samples, want_hz):
    prefix = "data:audio/wav;base64,"
    if not src.startswith(prefix):
        err(f"{where}: <audio src> is not a {prefix} URI: {src[:40]!r}")
        return
    try:
        raw = base64.b64decode(src[len(prefix):], validate=True)
        w = wave.open(io.BytesIO(raw))
    except Exception as e:  # noqa: BLE001 - any decoding error is the finding
        err(f"{where}: the WAV does not decode: {e}")
        return
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        err(f"{where}: no RIFF/WAVE header")
    if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, 8000):
        err(f"{where}: {w.getnchannels()} ch, {w.getsampwidth() * 8} bit, "
            f"{w.getframerate()} Hz, not mono 16-bit 8 kHz")
    if w.getnframes() != want_samples:
        err(f"{where}: {w.getnframes()} samples, not {want_samples}")
    frames = w.readframes(w.getnframes())
    pcm = [int.from_bytes(frames[i:i + 2], "little", signed=True)
           for i in range(0, len(frames), 2)]
    # the middle second: the tone, whatever the start held
    mid = pcm[len(pcm) // 3:len(pcm) // 3 + 8000]
    best = max(TONES, key=lambda hz: power(mid, hz))
    if best != want_hz:
        err(f"{where}: the audio's tone is {best} Hz, not {want_hz}")


def svg_ok(where, svg):
    paths = [p for p in svg.iter() if p.tag == "path"]
    d = paths[0].attrs.get("d", "") if paths else ""
    bars = [b for b in d.split("M") if b]
    if len(bars) != WAVE_BARS:
        err(f"{where}: the waveform has {len(bars)} bars, not {WAVE_BARS}")
        return
    heights = set()
    for b in bars:
        try:
            top, bottom = b.split()[1].split("V")
            heights.add(int(bottom) - int(top))
        except (IndexError, ValueError):
            err(f"{where}: a waveform bar {b!r} is not 'x yVy'")
            return
    if max(heights) <= 2:
        err(f"{where}: the waveform is flat")


def section(root, d, file):
    idx = [i for i, s in enumerate(d["scenarios"]) if s["file"] == file]
    if not idx:
        err(f"{file}: not in results.json")
        return None, None
    sec = [n for n in root.find_all("section") if n.attrs.get("id") ==
           f"sc-{idx[0]}"]
    if not sec:
        err(f"{file}: no section sc-{idx[0]} in report.html")
        return d["scenarios"][idx[0]], None
    return d["scenarios"][idx[0]], sec[0]


def rows_of(sec, phone, kind):
    return [r for r in sec.find_all("tr", cls=f"m-{kind}")
            if r.attrs.get("data-phone") == phone]


def main():
    dom, results, both_file, tones, samples, one_way = sys.argv[1:7]
    samples = int(samples)
    tones = dict((p, int(hz)) for p, hz in
                 (t.split(":") for t in tones.split()))
    ow_file, ow_phone = one_way.rsplit(":", 1)
    b = Builder()
    b.feed(open(dom, encoding="utf-8").read())
    d = json.load(open(results, encoding="utf-8"))

    s, sec = section(b.root, d, both_file)
    for phone, hz in tones.items():
        media = [m for m in (s or {}).get("media", []) if m["phone"] == phone]
        if len(media) != 1:
            err(f"{both_file}: {len(media)} media entries for {phone}")
            continue
        m = media[0]
        if not (m["rx"]["packets"] > 0 and m["tx"]["packets"] > 0):
            err(f"{phone}: packets rx {m['rx']['packets']}, tx "
                f"{m['tx']['packets']}")
        if m["rx"]["tone_hz"] != hz:
            err(f"{phone}: heard {m['rx']['tone_hz']} Hz, not {hz}")
        if m["one_way"]:
            err(f"{phone}: one-way in a both-ways call")
        if m["audio_samples"] != samples:
            err(f"{phone}: {m['audio_samples']} samples kept, not {samples}")
        if sec is None:
            continue
        rx, tx = rows_of(sec, phone, "rx"), rows_of(sec, phone, "tx")
        if len(rx) != 1 or len(tx) != 1:
            err(f"{phone}: {len(rx)} received rows, {len(tx)} sent rows")
            continue
        cells = [c.all_text() for c in rx[0].find_all("td")]
        if str(m["rx"]["packets"]) not in cells or f"{hz} Hz" not in cells:
            err(f"{phone}: the received row {cells[:9]} lacks its figures")
        audio = list(rx[0].find_all("audio"))
        svg = list(rx[0].find_all("svg", cls="wave"))
        if len(audio) != 1:
            err(f"{phone}: {len(audio)} <audio> in the received row")
        else:
            wav_of(phone, audio[0].attrs.get("src") or "", samples, hz)
        if len(svg) != 1:
            err(f"{phone}: {len(svg)} waveforms in the received row")
        else:
            svg_ok(phone, svg[0])
    if sec is not None and list(sec.find_all("tr", cls="oneway")):
        err(f"{both_file}: a one-way row in a both-ways call")

    s, sec = section(b.root, d, ow_file)
    media = [m for m in (s or {}).get("media", []) if m["phone"] == ow_phone]
    if not media or not media[0]["one_way"] or \
            not media[0]["tx"]["one_way"] or media[0]["tx"]["packets"]:
        err(f"{ow_file}: {ow_phone} is not one-way in results.json")
    if sec is not None:
        ow = [r for r in sec.find_all("tr", cls="oneway")]
        if [r.attrs.get("data-phone") for r in ow] != [ow_phone] or \
                "m-tx" not in ow[0].cls() or \
                "MEDIA-RTP-3" not in ow[0].all_text():
            err(f"{ow_file}: the one-way rows are "
                f"{[(r.attrs.get('data-phone'), r.cls()) for r in ow]}, "
                f"not {ow_phone}'s sent row naming MEDIA-RTP-3")

    for e in errors:
        print("   ", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
