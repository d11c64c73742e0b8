"""Serving from the experiment's folder, as Dallinger does, so that an experiment's relative paths
(`open("stimuli/words.txt")`, the images it reads) resolve against its own folder.

The process that starts the web server and the task workers (`runexperiment`, the production
layout) names the folder in DALLINGER_WORKDIR; each of those processes moves there once it has
started, when its imports are done, so the experiment's files can never shadow the project's
modules (an experiment's `bots.py` is not the project's `bots`). The project's own paths are
absolute, so they do not move with it.
"""

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

#: The environment variable naming the folder servers and workers work in.
WORKDIR_VARIABLE = "DALLINGER_WORKDIR"


def enter_workdir() -> Path | None:
    """Make DALLINGER_WORKDIR the working directory, if it is set; the folder entered, or None."""
    folder = os.environ.get(WORKDIR_VARIABLE)
    if not folder:
        return None
    path = Path(folder)
    if not path.is_dir():
        raise RuntimeError(f"{WORKDIR_VARIABLE} names {folder}, which is not a folder.")
    os.chdir(path)
    logger.info("Working in the experiment's folder %s.", path)
    return path
