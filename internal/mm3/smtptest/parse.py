"""Parses an e-mail with Python's email package (not our code) and prints
what internal/mm3's tests compare, as JSON: headers, the text of each
inline text/plain part, and each attachment's name, type and bytes.

    parse.py FILE.eml
"""
import base64
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)

out = {
    "subject": str(msg["Subject"]),
    "from": str(msg["From"]),
    "to": [str(a) for a in msg["To"].addresses],
    "date": str(msg["Date"]),
    "message_id": str(msg["Message-ID"]),
    "defects": [str(d) for p in msg.walk() for d in p.defects],
    "texts": [],
    "attachments": [],
}
for part in msg.walk():
    if part.is_multipart():
        continue
    if part.get_content_disposition() == "attachment":
        out["attachments"].append({
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "data": base64.b64encode(part.get_payload(decode=True)).decode(),
        })
    elif part.get_content_type() == "text/plain":
        out["texts"].append(part.get_content())
    else:
        out["attachments"].append({"filename": None, "content_type": part.get_content_type(), "data": ""})
json.dump(out, sys.stdout)
