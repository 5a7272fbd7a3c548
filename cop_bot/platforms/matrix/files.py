"""Files that come with replies (a session's .ics, a member's data export) as Matrix `m.file`
events: the bytes go to the homeserver's media repository (`client.upload`, encrypted for an
encrypted room, the key then travelling inside the encrypted event), the event points at the
`mxc://` URI it returned. An image (the `/insights chart` PNG) is an `m.image`, which clients
show inline."""

from __future__ import annotations

import io
from typing import Any

from nio import AsyncClient, UploadResponse

from cop_bot.core.model import Attachment
from cop_bot.core.outbox import FORBIDDEN, DeliveryError
from cop_bot.render.text import clean


async def upload(client: AsyncClient, attachment: Attachment, *, encrypt: bool) -> dict[str, Any]:
    """The `m.file` content for `attachment`, once its bytes are in the media repository;
    `DeliveryError` when the homeserver refused them."""
    resp, keys = await client.upload(
        io.BytesIO(attachment.content),
        content_type=attachment.mime,
        filename=attachment.filename,
        encrypt=encrypt,
        filesize=attachment.size,
    )
    if not isinstance(resp, UploadResponse):
        code = str(getattr(resp, "status_code", "") or "upload_failed")
        detail = str(getattr(resp, "message", "") or code)
        if code == "M_FORBIDDEN":
            raise DeliveryError(FORBIDDEN, detail, permanent=True)
        raise DeliveryError(code, detail)
    name = clean(attachment.filename)
    content: dict[str, Any] = {
        "msgtype": "m.image" if attachment.mime.startswith("image/") else "m.file",
        "body": name,
        "filename": name,
        "info": {"mimetype": attachment.mime, "size": attachment.size},
        "m.mentions": {},
    }
    if keys is None:
        content["url"] = resp.content_uri
    else:  # encrypted: the decryption key goes inside the (encrypted) event, per the spec
        content["file"] = {**keys, "url": resp.content_uri}
    return content
