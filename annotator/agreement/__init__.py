"""Inter-annotator agreement: `statistics` (pure numpy: Krippendorff's alpha, kappas, MASI),
`data` (a project's submitted annotations coded as arrays), the `report` and its `breakdowns`
(per statement, document, source; confusion tables), and the agreement pages (`admin`)."""
