"""The figures as the Markdown table `make bench` prints."""




def table(figures: list[dict]) -> str:
    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "yes" if v else "NO"
        return str(v)

    head = f"{'figure':48} {'value':>10} {'unit':12} {'baseline':>10} {'ratio':>7}  {'target':16} {'met':>4}"
    rows = [head, "-" * len(head)]
    for f in figures:
        rows.append(f"{f['name']:48} {cell(f['value']):>10} {f['unit']:12} {cell(f['baseline']):>10} {cell(f['ratio']):>7}  "
                    f"{cell(f['target']):16} {cell(f['met']):>4}")
    return "\n".join(rows)
