"""The project's settings with channels-redis's own layer, to compare the batching one against it.

`benchmarks/realtime/run.py --channel-layer stock` runs the layout with these settings.
"""

from dallinger_project.settings import *  # noqa: F401,F403
from dallinger_project.settings import CHANNEL_LAYERS

CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"
