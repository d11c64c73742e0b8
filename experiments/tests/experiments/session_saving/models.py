"""Models written as Dallinger experiments write them: SQLAlchemy imports, hybrid
properties over property1, polymorphic identities, a declared_attr identity."""

from sqlalchemy import Integer
from sqlalchemy.ext.declarative import declared_attr
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.sql.expression import cast

from core.models import Info, Node, Transformation
from core.nodes import Source


class ScoredNode(Node):
    """A node with an integer score kept in property1, queryable as a number."""

    __mapper_args__ = {"polymorphic_identity": "scored_node"}

    @hybrid_property
    def score(self):
        return None if self.property1 is None else int(self.property1)

    @score.setter
    def score(self, value):
        self.property1 = repr(value)

    @score.expression
    def score(self):
        return cast(self.property1, Integer)

    def update(self, infos):
        # Made and never saved here: Dallinger's session writes them at the commit.
        for info in infos:
            answer = Guess(self, info.contents + "!")
            Retelling(info_in=info, info_out=answer)


class Guess(Info):
    """An info made with Dallinger's positional constructor from its own __init__."""

    __mapper_args__ = {"polymorphic_identity": "guess"}

    def __init__(self, origin, contents=None, **kwargs):
        if contents is None:
            contents = "a default guess"
        super().__init__(origin, contents, **kwargs)


class Retelling(Transformation):
    """A transformation made without a save."""

    __mapper_args__ = {"polymorphic_identity": "retelling"}


class AbstractStorySource(Source):
    """Shares code; names no rows. Subclasses take their identity from their class name."""

    __abstract__ = True

    @declared_attr
    def __mapper_args__(cls):
        return {"polymorphic_identity": cls.__name__.lower()}

    def create_information(self):
        # As Dallinger sources may: the new info is returned unsaved.
        return Guess(origin=self, contents=self._contents())


class StorySource(AbstractStorySource):
    """Tells one story."""

    def _contents(self):
        return "a story"
