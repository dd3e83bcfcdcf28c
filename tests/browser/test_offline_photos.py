"""Photos taken with no signal (issue 15), on a phone of 360 x 740: the carer
names who agreed, takes two photos with the camera (a fixture with EXIF GPS),
saves the report with no signal; back online the report and both photos arrive
exactly once, stored with no metadata, and only those who may see the report
may see them."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from playwright.sync_api import Page, Route, expect

from extensions import db
from incidents.attachment_models import Attachment, StoredFile
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.offline_support import (
    SAVED,
    SEND,
    Wire,
    device_entries,
    fill_quickly,
    open_ready,
    server_incidents,
    wait_until,
    watch_api,
)
from tests.conftest import Client
from tests.factories import photo_with_gps

PHOTO_ID = re.compile(rb'name="id"\r\n\r\n([0-9a-f-]{36})')


def device_photos(page: Page) -> list[dict[str, Any]]:
    """The photos in this phone's outbox (plain IndexedDB), without their bytes."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open('candour-outbox');
             open.onerror = () => reject(open.error);
             open.onsuccess = () => {
               const db = open.result;
               if (!db.objectStoreNames.contains('photos')) { db.close(); resolve([]); return; }
               const all = db.transaction('photos').objectStore('photos').getAll();
               all.onsuccess = () => {
                 db.close();
                 resolve(all.result.map(p => ({id: p.id, entryId: p.entryId, status: p.status,
                   entrySent: p.entrySent, bytes: p.data.byteLength, width: p.width,
                   height: p.height, consentBy: p.consentBy})));
               };
               all.onerror = () => reject(all.error);
             };
           })"""
    )


def _watch_photos(page: Page, sent: list[str]) -> None:
    def handle(route: Route) -> None:
        match = PHOTO_ID.search(route.request.post_data_buffer or b"")
        sent.append(match.group(1).decode() if match else "")
        route.continue_()

    page.context.route(re.compile(r".*/api/v1/incidents/[^/]+/attachments$"), handle)


def _stored_photos(app: Flask) -> dict[str, tuple[str, bytes]]:
    with app.app_context():
        found = {
            a.id: (a.incident_id, bytes(db.session.get_one(StoredFile, a.storage_key).data))
            for a in db.session.scalars(db.select(Attachment))
        }
        db.session.remove()
        return found


def test_two_photos_taken_offline_arrive_once_after_their_report_without_metadata(
    page: Page, live: LiveServer, app: Flask, tmp_path: Path
):
    camera = [tmp_path / "camera-1.jpg", tmp_path / "camera-2.jpg"]
    camera[0].write_bytes(photo_with_gps((3000, 2000)))
    camera[1].write_bytes(photo_with_gps((2000, 1500), orientation=1))
    sign_in(page, "carer1@example.com")
    open_ready(page)
    entries, photos_sent = Wire(), list[str]()
    watch_api(page.context, entries)
    _watch_photos(page, photos_sent)
    page.context.set_offline(True)
    page.reload()
    fill_quickly(page, "A bruise on her left forearm, found at the morning call.")

    # No photo is taken in before someone is named as agreeing to it.
    photo_input = page.get_by_label("Take a photo, or choose one")
    photo_input.set_input_files(camera[0])
    summary = page.locator("[data-error-summary]")
    expect(
        summary.get_by_role("link", name="Say who agreed to this photo being taken.")
    ).to_be_visible()
    expect(page.locator("[data-photo]")).to_have_count(0)

    page.get_by_label("Who agreed to the photos?").fill("Mrs P herself")
    photo_input.set_input_files(camera)
    expect(page.locator("[data-photo]")).to_have_count(2)
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()

    [entry] = device_entries(page)
    kept = device_photos(page)
    assert len(kept) == 2
    assert {p["entryId"] for p in kept} == {entry["id"]}
    assert {p["consentBy"] for p in kept} == {"Mrs P herself"}
    # Made smaller on the phone: at most 1600 pixels on the long side.
    assert all(max(p["width"], p["height"]) == 1600 for p in kept)
    assert entries.posts == []
    assert photos_sent == []

    page.context.set_offline(False)
    wait_until(
        page,
        lambda: (
            not device_entries(page) and not device_photos(page) and len(_stored_photos(app)) == 2
        ),
        what="the report and both photos to reach the server",
    )
    assert set(server_incidents(app)) == {entry["id"]}
    assert entries.per_entry()[entry["id"]] == 1
    stored = _stored_photos(app)
    assert sorted(photos_sent) == sorted(p["id"] for p in kept) == sorted(stored)
    for incident_id, data in stored.values():
        assert incident_id == entry["id"]
        image = Image.open(io.BytesIO(data))
        assert max(image.size) <= 1600
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)

    # Only those who may see the report may see its photos.
    photo_id = next(iter(stored))
    south = Client(app.test_client())
    south.sign_in("carer3@example.com")
    assert south.get(f"/attachments/{photo_id}").status_code == 404
    assert Client(app.test_client()).get(f"/attachments/{photo_id}").status_code == 302
    assert page.request.get(f"/attachments/{photo_id}").status == 200
    # And the phone kept no copy of them outside the outbox (now empty).
    cached = page.evaluate(
        """async () => {
             const urls = [];
             for (const name of await caches.keys()) {
               for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
             }
             return urls.filter((url) => url.includes('/attachments/'));
           }"""
    )
    assert cached == []


def test_a_photo_is_tried_again_after_a_5xx_and_one_refused_waits_for_the_carer(
    page: Page, live: LiveServer, app: Flask, tmp_path: Path
):
    camera = [tmp_path / "camera-1.jpg", tmp_path / "camera-2.jpg"]
    camera[0].write_bytes(photo_with_gps((1200, 900)))
    camera[1].write_bytes(photo_with_gps((900, 1200), orientation=1))
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    page.reload()
    fill_quickly(page, "A skin tear on the back of her hand.")
    page.get_by_label("Who agreed to the photos?").fill("Her son, who holds power of attorney")
    page.get_by_label("Take a photo, or choose one").set_input_files(camera)
    expect(page.locator("[data-photo]")).to_have_count(2)
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    first, second = (p["id"] for p in device_photos(page))

    sent: list[str] = []

    def answer(route: Route) -> None:
        match = PHOTO_ID.search(route.request.post_data_buffer or b"")
        photo_id = match.group(1).decode() if match else ""
        sent.append(photo_id)
        if photo_id == second:  # refused, as the server refuses what is not a photo
            route.fulfill(
                status=415,
                content_type="application/json",
                body='{"error": "This is not a photo Candour accepts."}',
            )
        elif sent.count(first) == 1:  # the server in trouble, once
            route.fulfill(status=503, body="Service Unavailable")
        else:
            route.continue_()

    page.context.route(re.compile(r".*/api/v1/incidents/[^/]+/attachments$"), answer)
    page.context.set_offline(False)
    wait_until(
        page,
        lambda: (
            len(_stored_photos(app)) == 1
            and [p["status"] for p in device_photos(page)] == ["attention"]
        ),
        what="the first photo stored after a retry, the second needing attention",
    )
    assert list(_stored_photos(app)) == [first]
    assert sent.count(first) == 2

    # Refused is not tried again: it waits, with the server's reason, until removed.
    page.goto("/outbox")
    card = page.locator(f"[data-outbox-photo='{second}']")
    expect(card).to_contain_text("Needs your attention: This is not a photo Candour accepts.")
    assert sent.count(second) == 1
    card.get_by_role("button", name=re.compile("Remove photo 1")).click()
    expect(page.locator("[data-outbox-photo]")).to_have_count(0)
    assert device_photos(page) == []
    assert sent.count(second) == 1


def test_signing_out_on_a_shared_phone_removes_the_photos_and_keeps_the_report(
    page: Page, live: LiveServer, tmp_path: Path
):
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(photo_with_gps((1200, 900)))
    sign_in(page, "carer1@example.com")
    open_ready(page)
    page.context.set_offline(True)
    page.reload()
    fill_quickly(page, "Redness on her heel at the evening call.")
    page.get_by_label("Who agreed to the photos?").fill("Mrs P herself")
    page.get_by_label("Take a photo, or choose one").set_input_files(camera)
    page.get_by_role("button", name=SEND).click()
    expect(page.get_by_role("heading", name=SAVED)).to_be_visible()
    assert len(device_photos(page)) == 1
    # Signal back, but the server cannot take it yet: the carer signs out.
    page.context.route("**/api/v1/session", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.get_by_role("button", name="Sign out").click()
    warning = page.locator("[data-signout-warning]")
    expect(warning.locator("[data-signout-photos]")).to_contain_text(
        "1 photo is waiting to be sent. Photos do not stay on a phone after signing out"
    )
    warning.get_by_role("button", name="Sign out: keep the reports, remove the photos").click()
    page.wait_for_url("**/login")
    assert device_photos(page) == []
    assert [e["status"] for e in device_entries(page)] == ["waiting"]
