"""The API's JSON renderer: DRF's, with timestamps as Dallinger writes them."""

from datetime import datetime

from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from core.timestamps import json_timestamp


class APIJSONEncoder(JSONEncoder):
    """DRF's encoder, except that datetimes keep their microseconds and lose their zone (UTC)."""

    def default(self, obj):
        if isinstance(obj, datetime):
            return json_timestamp(obj)
        return super().default(obj)


class DallingerJSONRenderer(JSONRenderer):
    """JSON as Dallinger's routes answer it."""

    encoder_class = APIJSONEncoder


#: What every experiment route renders: JSON first, the browsable page when a browser asks.
RENDERERS = [DallingerJSONRenderer, BrowsableAPIRenderer]
