"""A test experiment with its own monitoring hooks: panels of its own HTML, a graph structure
of its own, vis options and an object's HTML."""

from experiments.experiment import Experiment


class Monitored(Experiment):
    """Overrides every monitoring hook the dashboard calls."""

    def monitoring_panels(self, **kw):
        return {"Progress": '<p class="progress">3 of 4 rounds <script>window.__panel = 1</script></p>'}

    def network_structure(self, network_roles=None, network_ids=None, collapsed=False, transformations=False):
        structure = super().network_structure(network_roles, network_ids, collapsed, transformations)
        structure["nodes"] = [node for node in structure["nodes"] if not node["failed"]]
        return structure

    def node_visualization_options(self):
        return {"layout": {"hierarchical": {"direction": "LR"}}}

    def node_visualization_html(self, object_type, obj_id):
        if object_type == "Node":
            return f"<b>Node {int(obj_id)}</b> <img src=x onerror=window.__xss=1>"
        return ""
