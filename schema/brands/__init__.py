from schema.brands.themes import ThemeMutation, ThemeQuery

__all__ = ["ThemeMutation", "ThemeQuery"]
