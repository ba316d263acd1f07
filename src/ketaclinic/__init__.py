"""ketaclinic: decision support for ketamine therapy.

Not a certified medical device. Every output a clinician acts on is shown with its
inputs, model, version and limits; the clinician decides.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
