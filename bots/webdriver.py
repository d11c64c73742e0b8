"""Creating Selenium drivers for browser bots: Debian's headless Chromium, or a remote server."""

import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1024,768",
)


#: The `webdriver_type` values understood: Dallinger's (`chrome_headless` is its default) and `chromium`.
#: Every Chrome kind runs headless here: bots run on servers, without a display.
CHROME_TYPES = ("chrome", "chrome_headless", "chromium")


def chrome_options(chrome_path: str | None = None) -> webdriver.ChromeOptions:
    """Options for headless Chromium that run as root and without network chatter; `chrome_path`
    (Dallinger's `chrome-path`) is the browser to run when it exists, else Debian's Chromium."""
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    if chrome_path and Path(chrome_path).is_file():
        options.binary_location = chrome_path
    else:
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium:
            options.binary_location = chromium
    return options


def create_driver(
    webdriver_type: str | None = "chrome", webdriver_url: str | None = None, chrome_path: str | None = None
):
    """A Selenium driver of `webdriver_type` (chrome, chrome_headless or firefox), local or at `webdriver_url`."""
    kind = (webdriver_type or "chrome").lower()
    if kind not in (*CHROME_TYPES, "firefox"):
        raise ValueError(f"Unsupported webdriver_type: {webdriver_type} (use chrome, chrome_headless or firefox).")
    if kind == "firefox":
        options = webdriver.FirefoxOptions()
        options.add_argument("-headless")
        if webdriver_url:
            return webdriver.Remote(command_executor=webdriver_url, options=options)
        return webdriver.Firefox(options=options)
    options = chrome_options(chrome_path)
    if webdriver_url:
        return webdriver.Remote(command_executor=webdriver_url, options=options)
    chromedriver = shutil.which("chromedriver")
    if chromedriver is None:
        raise ValueError("chromedriver is not installed: install Debian's chromium-driver package.")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_window_size(1024, 768)
    return driver
