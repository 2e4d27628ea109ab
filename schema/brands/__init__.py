import strawberry

from schema.brands.themes import ThemeMutation as _ThemeMutation
from schema.brands.themes import ThemeQuery as _ThemeQuery
from schema.brands.translations import ThemeTranslationMutation, ThemeTranslationQuery


@strawberry.type
class ThemeQuery(_ThemeQuery, ThemeTranslationQuery):
    pass


@strawberry.type
class ThemeMutation(_ThemeMutation, ThemeTranslationMutation):
    pass


__all__ = ["ThemeMutation", "ThemeQuery"]
