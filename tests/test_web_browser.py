"""The page of ``scaffold serve`` in a real browser: Debian's Chromium, headless, via Playwright.

The test answers the form, watches the recommendation change, opens a file of
the preview, downloads the zip and runs the unpacked project's own tests. It
also uses the page from the keyboard only and with JavaScript switched off,
and checks labels and contrast. Screenshots are saved under the test's
temporary directory (their paths are printed); set SCAFFOLD_SCREENSHOTS to a
directory to keep copies there (``docs/images`` refreshes the README's).
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from generated import install_project, project_env, run_in
from scaffold.answers import ci_is_set
from webserver import CRITERIA_FOR, OWN_FILE, PAIRS, criteria_of, query, serving

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("web-browser")]

CHROMIUM = Path("/usr/bin/chromium")
#: Headless as root on a closed network: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1500, "height": 1000}


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        if ci_is_set():
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary --user-data-dir.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture
def page(chromium, server):
    """A page of a fresh browser context; fails the test on any script error or dialog."""
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    yield page
    context.close()
    assert problems == []


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    if keep := os.environ.get("SCAFFOLD_SCREENSHOTS"):
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def download(page, button_name: str, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    return saved


def unpack(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        (top,) = {Path(name).parts[0] for name in opened.namelist()}
        opened.extractall(into)
        for info in opened.infolist():  # zipfile drops the modes; restore them as unzip does
            if mode := info.external_attr >> 16:
                (into / info.filename).chmod(mode & 0o777)
    return into / top


def test_answer_see_the_recommendation_change_preview_download_and_run(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{server.url}/")
    winner = page.locator("#recommendation .winner")
    expect(winner).to_have_text("Flask")
    expect(page.locator("#recommendation .trade-offs")).to_contain_text("Prescribed conventions")
    screenshot(page, tmp_path, "serve-defaults")

    page.get_by_label("Large or enterprise-scale application").check()
    page.get_by_label("Complex: many models, roles and workflows").check()
    page.get_by_label("Yes, ORM, admin and accounts built in").check()
    expect(winner).to_have_text("Django")
    expect(page.locator("#recommendation")).to_contain_text("Runner-up")
    page.get_by_label("Project name").fill("shop")
    expect(page.locator("#files .summary")).to_contain_text("unpacks into shop/")
    assert "size=large" in page.url and "builtins=yes" in page.url and "name=shop" in page.url

    page.locator("#files a[data-path='shop/settings.py']").click()
    viewer = page.locator("#viewer")
    expect(viewer.locator("h3")).to_have_text("shop/settings.py")
    expect(viewer.locator("code")).to_contain_text("DJANGO_SECRET_KEY")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, tmp_path, "serve")

    archive = download(page, "Download zip", tmp_path)
    assert archive.name == "shop.zip"
    project = unpack(archive, tmp_path / "unpacked")
    assert project.name == "shop" and (project / "manage.py").is_file()
    assert not (project / ".env").exists()
    env = project_env(install_project(project))
    run_in(project, "pytest -q -p no:cacheprovider", env)


def test_the_shared_url_restores_every_answer(page, server):
    from playwright.sync_api import expect

    page.goto(
        f"{server.url}/?size=prototype&api_docs=yes&framework=fastapi&database=none&name=api1"
    )
    expect(page.get_by_label("Prototype or proof of concept")).to_be_checked()
    expect(page.get_by_label("Yes, validated requests and interactive docs")).to_be_checked()
    expect(page.locator("input[name=framework][value=fastapi]")).to_be_checked()
    expect(page.get_by_label("Project name")).to_have_value("api1")
    expect(page.locator("#field-database")).to_have_value("none")
    # Accounts need a database: the field says so and is left out of the answers.
    auth = page.locator("[data-field=auth]")
    expect(auth.locator("input").first).to_be_disabled()
    expect(auth.locator(".condition")).to_be_visible()
    expect(page.locator("#share-link")).to_contain_text("database=none")


def test_keyboard_only_with_visible_focus(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(f"{server.url}/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to the project options"
    page.locator("input[name=size][value=small]").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Medium-sized application")).to_be_checked()
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] == "solid" and outline[1] >= 2, outline
    page.wait_for_url("**size=medium**")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Download zip":
            break
    else:
        pytest.fail("the download button cannot be reached with Tab")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "demo.zip"
    screenshot(page, tmp_path, "serve-keyboard")


def test_without_javascript_the_form_still_updates_and_downloads(chromium, server, tmp_path):
    context = chromium.new_context(
        viewport=VIEWPORT, accept_downloads=True, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?size=large&builtins=yes")
        assert page.locator("#recommendation .winner").text_content() == "Django"
        page.locator("input[name=framework][value=flask]").check()
        page.get_by_role("button", name="Update the recommendation and preview").click()
        page.wait_for_url("**framework=flask**")
        assert "You chose Flask" in page.locator("#recommendation").text_content()
        page.locator("#files a[data-path='README.md']").click()
        page.wait_for_url("**file=README.md**")
        assert page.locator("#viewer h3").text_content() == "README.md"
        screenshot(page, tmp_path, "serve-no-javascript")
        archive = download(page, "Download zip", tmp_path)
        with zipfile.ZipFile(archive) as opened:
            assert "demo/demo/views.py" in opened.namelist()  # Flask's blueprint module
    finally:
        context.close()


def test_hostile_answers_show_as_text_and_never_run(page, server, tmp_path):
    from playwright.sync_api import expect

    page.goto(
        f"{server.url}/?description=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
        "&%3Cscript%3Ealert(2)%3C%2Fscript%3E=1"
    )
    expect(page.locator("#problems")).to_contain_text(
        "unknown question '<script>alert(2)</script>'"
    )
    expect(page.locator("#field-description")).to_have_value("<img src=x onerror=alert(1)>")
    page.locator("#field-description").fill("<svg onload=alert(3)>")
    expect(page.locator("#problems")).to_contain_text("unknown question")
    page.wait_for_timeout(800)  # a dialog, if one could open, would have opened by now
    assert page.locator("img[src=x], svg[onload]").count() == 0


CONTRAST = """
(selectors) => {
  const luminance = (color) => {
    const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      if (!color.startsWith("rgba(0, 0, 0, 0)") && color !== "transparent") return color;
    }
    return "rgb(255, 255, 255)";
  };
  return selectors.filter((selector) => document.querySelector(selector)).map((selector) => {
    const element = document.querySelector(selector);
    const [a, b] = [luminance(getComputedStyle(element).color), luminance(background(element))];
    return [selector, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
  });
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_labels_and_contrast(chromium, server, scheme):
    context = chromium.new_context(viewport=VIEWPORT, color_scheme=scheme)
    page = context.new_page()
    try:
        selectors = [
            "legend", ".help", "label.option", "button.primary", "#share-link", ".note",
            "#recommendation .winner", "#problems li", "#problems h2", ".error", ".tree a",
            ".size", "#viewer code", "footer p",
        ]  # fmt: skip
        measured = {}
        for address in ["/?file=README.md&database=none", "/?size=huge&colour=red"]:
            page.goto(f"{server.url}{address}")
            unlabelled = page.evaluate(
                "[...document.querySelectorAll('input:not([type=hidden]), select')]"
                ".filter((e) => e.labels.length === 0).map((e) => e.name)"
            )
            assert unlabelled == []
            assert page.locator("fieldset:not(:has(> legend))").count() == 0
            measured.update(dict(page.evaluate(CONTRAST, selectors)))
        assert sorted(measured) == sorted(selectors)
        for selector, ratio in measured.items():
            assert ratio >= 4.5, f"{scheme}: {selector} has contrast {ratio:.2f}"
        # The theme follows the system's setting: the page and the highlighted code turn dark.
        page.goto(f"{server.url}/?file=README.md")
        for selector in ["html", "#viewer pre"]:
            colour = page.evaluate(
                "(selector) => getComputedStyle(document.querySelector(selector)).backgroundColor",
                selector,
            )
            red, green, blue = map(int, re.findall(r"\d+", colour)[:3])
            brightness = (red + green + blue) / 3
            assert brightness < 60 if scheme == "dark" else brightness > 200, (selector, colour)
    finally:
        context.close()


#: Width in pixels of 100 characters of the viewer's code, and of the viewer's code area.
CODE_WIDTHS = """() => {
  const pre = document.querySelector('#viewer pre');
  const probe = document.createElement('span');
  probe.textContent = 'x'.repeat(100);
  const line = pre.querySelector('span[id^="L-"]');
  line.appendChild(probe);
  const needed = probe.getBoundingClientRect().right - pre.getBoundingClientRect().left;
  probe.remove();
  return [needed, pre.clientWidth];
}"""


def test_the_viewer_fits_100_columns_highlights_copies_and_downloads(chromium, server, tmp_path):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?framework=fastapi&name=api")
        page.locator("#files a[data-path='api/main.py']").click()
        viewer = page.locator("#viewer")
        expect(viewer.locator("h3")).to_have_text("api/main.py")
        expect(viewer.locator("code span.kn").first).to_be_visible()  # highlighted
        needed, available = page.evaluate(CODE_WIDTHS)
        assert needed <= available, f"100 columns need {needed}px, the viewer has {available}px"
        source = page.request.get(
            f"{server.url}/api/preview/api/main.py?framework=fastapi&name=api"
        )
        # Line numbers are shown but never copied.
        first_number = page.evaluate(
            "getComputedStyle(document.querySelector('#viewer span[id=\"L-1\"]'), '::before')"
            ".content"
        )
        assert first_number not in ("none", "")
        viewer.get_by_role("button", name="Copy").click()
        expect(viewer.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == source.text()
        with page.expect_download() as info:
            viewer.get_by_role("link", name="Download file").click()
        assert info.value.suggested_filename == "main.py"
        assert Path(info.value.path()).read_text() == source.text()
        screenshot(page, tmp_path, "serve-viewer")
    finally:
        context.close()


def test_on_a_phone_opening_a_file_brings_it_into_view(chromium, server, tmp_path):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?framework=flask&name=demo")
        link = page.locator("#files a[data-path='README.md']")
        link.scroll_into_view_if_needed()
        link.click()
        expect(page.locator("#viewer h3")).to_have_text("README.md")
        top, height = page.evaluate(
            "[document.getElementById('viewer').getBoundingClientRect().top, innerHeight]"
        )
        assert 0 <= top < height / 2, f"the viewer starts at {top}px of {height}px"
        screenshot(page, tmp_path, "serve-phone")
    finally:
        context.close()


def test_without_javascript_the_viewer_is_highlighted_and_has_no_copy_button(chromium, server):
    context = chromium.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?framework=flask&file=demo/config.py#viewer")
        assert page.locator("#viewer span.kn").count() > 0
        assert not page.locator("#viewer button[data-copy]").is_visible()
        assert page.locator("#viewer a", has_text="Download file").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("how", ["criteria", "override"])
@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_with_javascript_the_form_moves_between_any_two_frameworks(
    page, server, tmp_path, old, new, how
):
    from playwright.sync_api import expect

    start = query(**CRITERIA_FOR[old]) if how == "criteria" else query(framework=old.value)
    page.goto(f"{server.url}/?{start}")
    shown_for = page.locator("input[name=options_for]")
    expect(shown_for).to_have_value(old.value)
    changes = criteria_of(new) if how == "criteria" else {"framework": new.value}
    for key, value in changes.items():
        page.locator(f"input[name={key}][value={value}]").check()
    expect(shown_for).to_have_value(new.value)
    expect(page.locator(f"#files a[data-path='{OWN_FILE[new]}']")).to_be_visible()
    expect(page.locator("[data-error-for]:visible")).to_have_count(0)
    with zipfile.ZipFile(download(page, "Download zip", tmp_path)) as archive:
        assert f"demo/{OWN_FILE[new]}" in archive.namelist()


def test_with_javascript_each_problem_shows_at_its_field_and_stops_the_downloads(page, server):
    from playwright.sync_api import expect

    page.goto(f"{server.url}/")
    buttons = [
        page.get_by_role("button", name=name) for name in ("Download zip", "Download .tar.gz")
    ]
    error = page.locator("#error-author_email")
    expect(error).to_be_hidden()
    page.locator("#field-author_email").fill("nope")
    expect(error).to_be_visible()
    expect(error).to_contain_text("author_email")
    expect(page.locator("#field-author_email")).to_have_attribute("aria-invalid", "true")
    for button in buttons:
        expect(button).to_be_disabled()
    page.locator("#field-author_email").fill("dev@example.com")
    expect(error).to_be_hidden()
    for button in buttons:
        expect(button).to_be_enabled()


def test_without_javascript_problems_show_at_their_fields_and_nothing_downloads(chromium, server):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/?author_email=nope&size=huge")
        expect(page.locator("#error-author_email")).to_contain_text("author_email")
        expect(page.locator("#error-size")).to_contain_text("size=huge")
        expect(page.get_by_role("button", name="Download zip")).to_be_disabled()
        expect(page.get_by_role("button", name="Download .tar.gz")).to_be_disabled()
    finally:
        context.close()
