#!/usr/bin/env python3
"""wait_options.py PORT PID SECONDS: exit 0 once a SIP server on
127.0.0.1:PORT answers an OPTIONS with 200 (UDP), 1 if process PID dies
first or SECONDS pass.  Used to know that a started Kamailio is up."""
import os, socket, sys, time

port, pid, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.3)
lport = s.getsockname()[1]
deadline = time.time() + secs
i = 0
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)              # the server died
    i += 1
    msg = ("OPTIONS sip:example.sip.us1.twilio.com SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch=z9hG4bK-start-{i};rport\r\n"
           "Max-Forwards: 70\r\n"
           f"From: <sip:probe@example.sip.us1.twilio.com>;tag=start{i}\r\n"
           "To: <sip:example.sip.us1.twilio.com>\r\n"
           f"Call-ID: start-{os.getpid()}-{i}\r\n"
           f"CSeq: {i} OPTIONS\r\nContent-Length: 0\r\n\r\n")
    try:
        s.sendto(msg.encode(), ("127.0.0.1", port))
        data = s.recv(65535)
        if data.startswith(b"SIP/2.0 200"):
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
