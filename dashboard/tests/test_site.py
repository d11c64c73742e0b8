"""The dashboard's site: the admin under /dashboard/ with its navigation tabs."""

import pytest
from django.contrib import admin

from dashboard.site import DashboardSite

pytestmark = pytest.mark.django_db


def test_the_admin_site_is_the_dashboard():
    assert isinstance(admin.site, DashboardSite)


def test_the_index_shows_the_tabs_with_the_database_tab_current(admin_client):
    html = admin_client.get("/dashboard/").content.decode()

    assert 'class="dashboard-tabs"' in html
    assert '<li class="active"><a href="/dashboard/" aria-current="page">Database</a></li>' in html


def test_the_login_page_shows_no_tabs(client):
    html = client.get("/dashboard/login/").content.decode()

    assert "dashboard-tabs" not in html


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/login/"])
def test_each_page_has_the_header_once(admin_client, client, path):
    html = (admin_client if path == "/dashboard/" else client).get(path).content.decode()

    assert html.count('<header id="header">') == 1


@pytest.mark.parametrize("url", ["/dashboard/", "/dashboard/monitoring/", "/dashboard/core/participant/"])
def test_each_page_has_one_header_with_the_tabs_under_it(admin_client, url):
    html = admin_client.get(url).content.decode()

    assert html.count('<header id="header">') == 1
    assert html.index('<header id="header">') < html.index('class="dashboard-tabs"')
