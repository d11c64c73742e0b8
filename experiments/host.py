"""The experiment runtime as recruitment sees it (installed at start-up by experiments.apps)."""

from experiments import runtime, tasks
from experiments.services.runtime_settings import runtime_setting_set
from experiments.services.submission import submission_process
from recruitment.host import Host


class RuntimeHost(Host):
    """Gives recruitment the running experiment, submission processing, the auto_recruit switch and the bot task."""

    def experiment(self):
        return runtime.experiment()

    def config(self):
        return runtime.active().config

    def process_submission(self, experiment, participant) -> None:
        submission_process(experiment, participant)

    def auto_recruit_off(self) -> None:
        runtime_setting_set(config=runtime.active().config, name="auto_recruit", value=False)

    def bot_run(self, url: str, bot_type: str):
        return tasks.run_bot.s(url, bot_type)
