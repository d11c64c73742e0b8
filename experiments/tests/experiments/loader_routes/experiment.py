"""A test experiment package with routes of its own, some of them trying to shadow the protocol's."""

from django.http import HttpResponse, JsonResponse

from core.models import Participant
from experiments.binding import Caller
from experiments.errors import BadRequest
from experiments.experiment import Experiment, experiment_route


class LoaderRoutes(Experiment):
    """Routes returning dicts, responses and strings, with URL arguments and methods."""

    @experiment_route("/loader/echo")
    def echo(self, request):
        return {"text": request.GET.get("text", ""), "has_session": self.session is not None}

    @experiment_route("/loader/page")
    def page(self, request):
        return HttpResponse("<p>A page of the experiment.</p>", content_type="text/html")

    @experiment_route("/loader/teapot")
    def teapot(self, request):
        return JsonResponse({"status": "error", "message": "short and stout"}, status=418)

    @experiment_route("/loader/double/<int:number>", methods=["GET", "POST"])
    def double(self, request, number):
        return {"doubled": number * 2, "method": request.method}

    @experiment_route("/loader/answer", methods=["POST"])
    def answer(self, request):
        return {"received": request.POST.get("answer")}

    @experiment_route("/loader/answer", methods=["GET"])
    def answer_form(self, request):
        return "<form method='post'><input name='answer'></form>"

    @experiment_route("/loader/legacy")
    @classmethod
    def legacy(cls, request):
        return f"A custom route for {cls.__name__}."

    @experiment_route("/loader/nothing")
    def nothing(self, request):
        return None

    @experiment_route("/loader/mine/<int:participant_id>", methods=["POST"])
    def mine(self, request, participant_id):
        participant = Participant.objects.filter(pk=participant_id).first()
        if participant is None:
            raise BadRequest(f"There is no participant {participant_id}.")
        Caller.of_request(request, self.config).require(participant)
        return {"participant_id": participant.pk}

    @experiment_route("/summary")
    def shadow_summary(self, request):
        return {"shadowed": True}

    @experiment_route("/participant/<str:participant_id>")
    def shadow_participant(self, request, participant_id):
        return {"shadowed": True}
