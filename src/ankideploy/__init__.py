"""ankideploy: interview-question lessons in, tagged and levelled Anki decks out."""

__version__ = "0.1.0"
