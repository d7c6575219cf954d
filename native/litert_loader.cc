// placeholder, replaced by the LiteRT loader
