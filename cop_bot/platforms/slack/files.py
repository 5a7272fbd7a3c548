"""Files that come with replies (a session's .ics, a member's data export), shared as Slack files.

slack_sdk's `files_upload_v2` is Slack's documented three steps: `files.getUploadURLExternal`
(a file id and an upload URL for the file's name and length), a POST of the bytes to that URL,
then `files.completeUploadExternal`, which shares the file in a channel. A message cannot carry
such a file: in a code span an .ics arrived as one line, and an export was cut at 3,000
characters.
"""

from __future__ import annotations

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from cop_bot.core.model import Attachment
from cop_bot.core.outbox import DeliveryError
from cop_bot.platforms.slack.outbox import refusal
from cop_bot.render.text import clean


async def upload_file(client: AsyncWebClient, channel: str, attachment: Attachment) -> None:
    """Share `attachment` in `channel` (a conversation id: a channel, or a member's DM with the
    bot); raises `DeliveryError` when Slack did not take it."""
    try:
        await client.files_upload_v2(
            channel=channel,
            filename=attachment.filename,
            content=attachment.content,
            title=clean(attachment.title or attachment.filename),
        )
    except (SlackApiError, ClientError, TimeoutError) as exc:
        raise refusal(exc) from exc
    except SlackRequestError as exc:  # the upload URL refused the bytes
        raise DeliveryError("upload_failed", str(exc)) from exc
