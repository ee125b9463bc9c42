"""Reports: tables, charts (PNG and SVG), a self-contained HTML page and an Excel workbook."""
