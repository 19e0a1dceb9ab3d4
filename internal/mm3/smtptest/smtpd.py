"""A real SMTP submission server for tests (internal/mm3/smtptest): aiosmtpd
(Debian's python3-aiosmtpd) with TLS (STARTTLS or implicit) and AUTH.

    smtpd.py PORT MODE CERT KEY USER PASSWORD SPOOL

MODE is "starttls" (STARTTLS required before AUTH and mail) or "tls"
(TLS from the first byte). Every accepted message is written to SPOOL as
N.eml, byte for byte as received, with N.env holding the envelope
(MAIL FROM, then one RCPT TO a line). RCPT TO a local part "full" is
answered 452 (mailbox full, try later), "reject" 550 (no such user).
Prints "READY" when it listens; stops on stdin EOF.
"""
import logging
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd 1.4 logs a warning about its own login_data

port, mode, cert, key, user, password, spool = sys.argv[1:8]
port = int(port)


class Handler:
    def __init__(self):
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "full":
            return "452 4.2.2 Mailbox full, try again later"
        if local == "reject":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(spool, str(self.n))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env", "w") as f:
            f.write("\n".join([envelope.mail_from] + envelope.rcpt_tos) + "\n")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Queued as %d" % self.n


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user.encode() and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
kw = dict(authenticator=authenticator, auth_required=True, auth_require_tls=True)
if mode == "tls":
    # aiosmtpd 1.4 counts only STARTTLS for auth_require_tls; here the
    # whole connection is TLS from the first byte.
    kw["auth_require_tls"] = False
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ssl_context=ctx, **kw)
else:
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True, **kw)
controller.start()
print("READY", flush=True)
sys.stdin.read()
controller.stop()
