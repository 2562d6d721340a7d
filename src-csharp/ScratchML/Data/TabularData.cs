namespace ScratchML;

using System.Globalization;

/// <summary>A table of numeric features with a class target: the input of
/// <see cref="SoftmaxRegression"/> and <see cref="TabularExplainer"/>.</summary>
/// <example><code>
/// TabularData data = TabularData.BreastCancer();
/// var model = SoftmaxRegression.Fit(data.Rows, data.Targets, data.ClassNames.Count);
/// </code></example>
public sealed class TabularData
{
    private readonly double[,] _rows;
    private readonly int[] _targets;

    private TabularData(IReadOnlyList<string> featureNames, double[,] rows, int[] targets, IReadOnlyList<string> classNames)
    {
        FeatureNames = featureNames;
        _rows = rows;
        _targets = targets;
        ClassNames = classNames;
    }

    /// <summary>One name per feature column.</summary>
    /// <example><code>Console.WriteLine(data.FeatureNames[0]);</code></example>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The features, rows × columns (a copy: the table stays immutable).</summary>
    /// <example><code>double[,] x = data.Rows;</code></example>
    public double[,] Rows => (double[,])_rows.Clone();

    /// <summary>The class of each row, an index into <see cref="ClassNames"/>.</summary>
    /// <example><code>int first = data.Targets[0];</code></example>
    public IReadOnlyList<int> Targets => _targets;

    /// <summary>The class names; class k is <c>ClassNames[k]</c>.</summary>
    /// <example><code>Console.WriteLine(string.Join(" / ", data.ClassNames));</code></example>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of rows.</summary>
    /// <example><code>int n = data.RowCount;</code></example>
    public int RowCount => _rows.GetLength(0);

    /// <summary>One row's features (a copy).</summary>
    /// <param name="index">0 ≤ index &lt; <see cref="RowCount"/>.</param>
    /// <exception cref="ArgumentException">The index is out of range.</exception>
    /// <example><code>double[] row = data.Row(0);</code></example>
    public double[] Row(int index)
    {
        if (index < 0 || index >= RowCount)
            throw new ArgumentException($"row {index} is not in 0..{RowCount - 1}", nameof(index));
        return Enumerable.Range(0, _rows.GetLength(1)).Select(j => _rows[index, j]).ToArray();
    }

    /// <summary>The Breast Cancer Wisconsin (Diagnostic) data (569 rows, 30 features; classes
    /// malignant, benign) from the benchmark data folder (<c>$SCRATCHML_BENCH_DATA</c>, else
    /// ../shared/bench/data beside the repository).</summary>
    /// <exception cref="FileNotFoundException">The data file is not there.</exception>
    /// <example><code>TabularData data = TabularData.BreastCancer();</code></example>
    public static TabularData BreastCancer()
    {
        string path = ScratchML.Bench.BenchData.file("breast_cancer.csv");
        var (data, classNames) = ScratchML.Bench.W4.load().ToValueTuple();
        string[] lines = File.ReadAllLines(path);
        int n = data.GetLength(0), d = data.GetLength(1);
        var targets = new int[n];
        for (int i = 0; i < n; i++)
        {
            string[] cells = lines[i + 1].Split(',');
            targets[i] = (int)double.Parse(cells[d], CultureInfo.InvariantCulture);
        }
        return new TabularData(ScratchML.Bench.W4.featureNames, data, targets, classNames);
    }

    /// <summary>Reads a comma-separated file whose first line names the columns; every column but
    /// <paramref name="target"/> must hold numbers. Target values are class labels (any text);
    /// classes are numbered in sorted (ordinal) order of their labels.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="target">The name of the target column.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">A malformed line: the message names the file and line.</exception>
    /// <exception cref="ArgumentException">The target column is not in the header.</exception>
    /// <example><code>TabularData data = TabularData.LoadCsv("iris.csv", "species");</code></example>
    public static TabularData LoadCsv(string path, string target)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(target);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        string[] lines = File.ReadAllLines(path);
        string Where(int line) => $"{path}, line {line}";
        if (lines.Length == 0 || lines[0].Trim().Length == 0)
            throw new FormatException($"{Where(1)}: expected a header line naming the columns");
        string[] header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        int targetColumn = Array.IndexOf(header, target);
        if (targetColumn < 0)
            throw new ArgumentException(
                $"{path} has no column '{target}' (columns: {string.Join(", ", header)})", nameof(target));
        var rows = new List<double[]>();
        var labels = new List<string>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            string[] cells = lines[i].Split(',');
            if (cells.Length != header.Length)
                throw new FormatException($"{Where(i + 1)}: {cells.Length} fields, the header has {header.Length}");
            var row = new double[header.Length - 1];
            for (int j = 0, k = 0; j < cells.Length; j++)
            {
                if (j == targetColumn) continue;
                if (!double.TryParse(cells[j], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                    throw new FormatException($"{Where(i + 1)}: column '{header[j]}' is '{cells[j].Trim()}', not a finite number");
                row[k++] = v;
            }
            rows.Add(row);
            labels.Add(cells[targetColumn].Trim());
        }
        if (rows.Count < 2)
            throw new FormatException($"{path}: needs at least 2 data rows, has {rows.Count}");
        string[] classNames = labels.Distinct().OrderBy(l => l, StringComparer.Ordinal).ToArray();
        if (classNames.Length < 2)
            throw new FormatException($"{path}: the target '{target}' has only one class ({classNames[0]})");
        var matrix = new double[rows.Count, header.Length - 1];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < header.Length - 1; j++) matrix[i, j] = rows[i][j];
        int[] targets = labels.Select(l => Array.IndexOf(classNames, l)).ToArray();
        string[] names = header.Where((_, j) => j != targetColumn).ToArray();
        return new TabularData(names, matrix, targets, classNames);
    }
}
