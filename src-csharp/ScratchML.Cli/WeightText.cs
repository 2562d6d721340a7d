using System.Globalization;

namespace ScratchML.Cli;

/// <summary>How the explain commands print a LIME weight.</summary>
public static class WeightText
{
    /// <summary>
    /// The weight with its sign and 4 decimals ("+0.1190", "-0.2421"), and "0.0000" for one that
    /// rounds to zero: the format "+0.0000;-0.0000" alone prints -0.00001 as "-+0.0000".
    /// </summary>
    public static string Signed(double weight)
    {
        double rounded = Math.Round(weight, 4);
        return rounded == 0 ? "0.0000" : rounded.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture);
    }
}
