"""An experiment that extends the dashboard as Dallinger experiments do: tabs of its own
(`dashboard_tab`), a tab hidden, the order rearranged, and database actions of its own."""

from django.http import JsonResponse
from django.utils.html import format_html

from core.models import Node
from experiments.dashboard_hooks import DashboardTab, dashboard_tab
from experiments.experiment import Experiment


def scores_children():
    """The Scores tab's menu: the scores of each role."""
    return [DashboardTab("Scores of A", "dashboard_scores", params={"role": "a"}),
            DashboardTab("Scores of B", "dashboard_scores", params={"role": "b"})]  # fmt: skip


class DashboardHooks(Experiment):
    """Tabs: Scores (after Monitoring, with a menu), Notes (before Config, takes POST), Raw (last,
    JSON); Lifecycle hidden. Actions: mark the rows' property1, and one listed without a method."""

    hidden_dashboards = ["dashboard_lifecycle"]

    def __init__(self, session=None):
        super().__init__(session)
        self.initial_recruitment_size = 0

    @dashboard_tab("Scores", after_route="monitoring", tab=DashboardTab("Scores", "dashboard_scores", scores_children))
    def dashboard_scores(self, request):
        return format_html("<h2 id='scores'>Scores for role {}</h2>", request.GET.get("role", "all"))

    @classmethod
    @dashboard_tab("Notes", before_route="dashboard.dashboard_index", methods=["GET", "POST"])
    def dashboard_notes(cls, request):
        return JsonResponse({"method": request.method, "class": cls.__name__})

    @dashboard_tab("Raw")
    def raw(self, request):
        return {"nodes": Node.objects.count(), "text": "<b>not bold</b>"}

    @dashboard_tab("Elsewhere", after_route="dashboard_mturk")
    def dashboard_elsewhere(self, request):
        return "<p id='elsewhere'>Placed last: there is no MTurk tab.</p>"

    @classmethod
    def organize_dashboard_tabs(cls, tabs):
        tabs.remove("develop")
        return tabs

    def dashboard_database_actions(self):
        return [
            {"name": "dashboard_fail", "title": "Fail Selected"},
            {"name": "mark_rows", "title": "Mark rows"},
            {"name": "not_a_method", "title": "Listed but missing"},
            {"name": "refuse_rows", "title": "Refuse rows"},
            {"name": "break_rows", "title": "Break rows"},
        ]

    @dashboard_tab("Shadowing")
    def dashboard_core(self, request):
        return "<p>A tab named like the record's tables: never mounted.</p>"

    @dashboard_tab("Broken")
    def dashboard_broken(self, request):
        raise RuntimeError("the experiment's tab has a bug")

    def mark_rows(self, data):
        """Set property1 of each row to "marked" (node rows only)."""
        ids = [row["id"] for row in data if row.get("object_type") == "Node"]
        count = Node.objects.filter(pk__in=ids).update(property1="marked")
        return {"message": f"Marked {count} nodes", "ids": sorted(ids)}

    def refuse_rows(self, data):
        """Change a row, then refuse: nothing it changed may stay."""
        Node.objects.update(property2="changed")
        raise ValueError("these rows cannot be refused twice")

    def break_rows(self, data):
        """Change a row, then fail with a bug: nothing it changed may stay."""
        Node.objects.update(property4="half-written")
        raise KeyError("a bug in the experiment")

    def unlisted(self, data):
        """A method the experiment does not list: the dashboard must not call it."""
        Node.objects.update(property3="unlisted ran")
        return {"message": "should not run"}
