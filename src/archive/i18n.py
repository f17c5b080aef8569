"""The archive's message factory: Vietnamese source strings, English catalogue.

Message ids are the Vietnamese texts themselves, so the default UI is complete
without any catalogue; ``views/locale/en`` translates them to English.
"""
from translationstring import TranslationStringFactory

_ = TranslationStringFactory("archive")
