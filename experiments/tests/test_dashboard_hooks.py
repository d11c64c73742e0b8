"""The experiment's side of the dashboard's extension points: the `dashboard_tab` mark,
Dallinger's DashboardTab/DashboardTabs, and the Experiment's default dashboard hooks."""

import pytest

from experiments.dashboard_hooks import DashboardTab, DashboardTabs, TabDeclaration, dashboard_tab, route_names
from experiments.experiment import Experiment


def builtin() -> DashboardTabs:
    return DashboardTabs(
        [DashboardTab("Monitoring", "dashboard_monitoring"), DashboardTab("Database", "dashboard.dashboard_database")]
    )


def names(tabs) -> list[str]:
    return [tab.route_name for tab in tabs]


class Marked(Experiment):
    @dashboard_tab("Plain")
    def dashboard_plain(self, request):
        return "plain"

    @dashboard_tab("Above", after_route="monitoring", methods=["get", "post"])
    @classmethod
    def above(cls, request):
        return cls.__name__

    @classmethod
    @dashboard_tab("Below", before_route="database")
    def below(cls, request):
        return cls.__name__

    @staticmethod
    @dashboard_tab("Static")
    def static(request):
        return "static"


@pytest.mark.parametrize("name", ["dashboard_plain", "above", "below", "static"])
def test_the_mark_is_seen_through_the_class_whatever_the_decorator_order(name):
    member = Marked.__dict__[name]
    declaration = getattr(member, "__func__", member).dashboard_tab

    assert isinstance(declaration, TabDeclaration)
    assert getattr(Marked(), name)(None) in ("plain", "Marked", "static")


def test_the_mark_keeps_the_placement_and_the_methods():
    declaration = Marked.__dict__["above"].__func__.dashboard_tab

    assert (declaration.title, declaration.after_route, declaration.before_route) == ("Above", "monitoring", None)
    assert declaration.methods == ("GET", "POST")
    assert Marked.__dict__["dashboard_plain"].dashboard_tab.methods == ("GET",)


def test_a_tab_gets_the_dashboard_prefix_and_its_parameters():
    tab = DashboardTab("Scores", "scores", params={"role": "a b"})

    assert tab.route_name == "dashboard.scores" and tab.query_string() == "?role=a+b"
    assert DashboardTab("X", "dashboard.x").route_name == "dashboard.x"
    assert not tab.has_children and list(tab) == []


def test_a_tabs_children_come_from_its_function():
    tab = DashboardTab("Menu", "menu", lambda: [DashboardTab("One", "one")])

    assert tab.has_children and names(tab) == ["dashboard.one"]


def test_route_names_match_as_dallinger_matches_them():
    assert route_names("monitoring") == {"monitoring", "dashboard.monitoring", "dashboard.dashboard_monitoring"}
    assert "dashboard.dashboard_monitoring" in route_names("dashboard_monitoring")
    assert "dashboard.dashboard_monitoring" in route_names("dashboard.dashboard_monitoring")


def test_tabs_go_where_they_are_asked_to():
    tabs = builtin()

    tabs.insert("Last", "last")
    tabs.insert("First", "first", position=0)
    tabs.insert_after_route("After", "after", "monitoring")
    tabs.insert_before_route("Before", "before", "dashboard.dashboard_database")
    tabs.insert_tab_after_route(DashboardTab("End", "end"), "dashboard_database")

    assert names(tabs) == [
        "dashboard.first", "dashboard.dashboard_monitoring", "dashboard.after", "dashboard.before",
        "dashboard.dashboard_database", "dashboard.end", "dashboard.last",
    ]  # fmt: skip


def test_placing_a_tab_by_a_tab_that_is_not_there_is_a_value_error():
    tabs = builtin()

    with pytest.raises(ValueError, match="Route mturk not found"):
        tabs.insert_after_route("X", "x", "mturk")
    with pytest.raises(ValueError, match="Route heroku not found"):
        tabs.insert_tab_before_route(DashboardTab("X", "x"), "heroku")
    assert len(tabs) == 2


def test_removing_a_tab_by_any_of_its_names():
    tabs = builtin()

    tabs.remove("monitoring")
    tabs.remove("dashboard.dashboard_database")
    tabs.remove("not-there")

    assert names(tabs) == []


def test_the_default_experiment_offers_dallingers_fail_action_and_no_tab_changes():
    experiment = Experiment()
    tabs = builtin()

    assert experiment.dashboard_database_actions() == [{"name": "dashboard_fail", "title": "Fail Selected"}]
    assert list(Experiment.hidden_dashboards) == []
    assert Experiment.organize_dashboard_tabs(tabs) is tabs


def test_experiments_never_import_the_dashboard():
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    importing = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])  # fmt: skip
            if any(module == "dashboard" or module.startswith("dashboard.") for module in modules):
                importing.append(str(path.relative_to(root)))

    assert importing == []
