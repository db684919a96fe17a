using System.Globalization;
using System.Numerics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Contracts;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// Values.ParseAmount bounds prices and costs (below 10^12, at most 6 decimal places) in the same pass that
/// parses them. Checked against an exact reference: the text read as a BigInteger numerator over a power of ten.
/// </summary>
public sealed class AmountParsingTests
{
    [Theory]
    [InlineData("19.99", AmountStatus.Valid, "19.99")]
    [InlineData("0", AmountStatus.Valid, "0")]
    [InlineData("999999999999.999999", AmountStatus.Valid, "999999999999.999999")]
    [InlineData("000000000000000000000000000000999999999999.5", AmountStatus.Valid, "999999999999.5")]
    [InlineData("1.5000000000000000000000000000000", AmountStatus.Valid, "1.5")]
    [InlineData("0.000001", AmountStatus.Valid, "0.000001")]
    [InlineData("-3.25", AmountStatus.Valid, "-3.25")]
    [InlineData("1000000000000", AmountStatus.TooLarge, "0")]
    [InlineData("1000000000000000000000", AmountStatus.TooLarge, "0")]
    [InlineData("9000000000000000000000000000", AmountStatus.TooLarge, "0")]
    [InlineData("99999999999999999999999999999999999999", AmountStatus.TooLarge, "0")]
    [InlineData("0.0000001", AmountStatus.TooPrecise, "0")]
    [InlineData("12.3456789", AmountStatus.TooPrecise, "0")]
    [InlineData("9e27", AmountStatus.NotANumber, "0")]
    [InlineData("1,5", AmountStatus.NotANumber, "0")]
    [InlineData(".", AmountStatus.NotANumber, "0")]
    [InlineData("-", AmountStatus.NotANumber, "0")]
    [InlineData("", AmountStatus.NotANumber, "0")]
    public void ParseAmount_Examples_BoundedAndExact(string text, AmountStatus status, string value)
    {
        Assert.Equal(status, Values.ParseAmount(Encoding.UTF8.GetBytes(text), out var parsed, out _));
        Assert.Equal(decimal.Parse(value, CultureInfo.InvariantCulture), parsed);
    }

    [Property(MaxTest = 3000)]
    public Property ParseAmount_AnyPlainNumber_AgreesWithExactArithmetic()
    {
        var number =
            from sign in Gen.Elements("", "-", "+")
            from whole in Gen.Elements("0", "1", "7", "9").ArrayOf().Select(d => string.Concat(d))
            from dot in Gen.Elements(true, false)
            from fraction in Gen.Elements("0", "5", "9", "3").ArrayOf().Select(d => string.Concat(d))
            select sign + whole + (dot ? "." + fraction : "");

        return Prop.ForAll(number.ToArbitrary(), text =>
        {
            var status = Values.ParseAmount(Encoding.UTF8.GetBytes(text), out var value, out var negative);
            var expected = Reference(text, out var exact);
            return status == expected
                && negative == text.StartsWith('-')
                && (status != AmountStatus.Valid || value == exact);
        });
    }

    [Property(MaxTest = 2000)]
    public Property ParseAmount_EveryValidAmount_ParsesTheSameWithTryParseDecimalWhenItCan()
    {
        // The fast path builds the decimal itself; where TryParseDecimal also reads the text, value and scale agree.
        var number =
            from whole in Gen.Choose(0, 12).SelectMany(n => Gen.Elements("0", "4", "9").ArrayOf(n)).Select(d => string.Concat(d))
            from fraction in Gen.Choose(0, 6).SelectMany(n => Gen.Elements("0", "1", "8").ArrayOf(n)).Select(d => string.Concat(d))
            where whole.Length + fraction.Length > 0
            select whole + (fraction.Length > 0 ? "." + fraction : "");

        return Prop.ForAll(number.ToArbitrary(), text =>
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var status = Values.ParseAmount(bytes, out var amount, out _);
            return status == AmountStatus.Valid
                && Values.TryParseDecimal(bytes, out var plain)
                && amount == plain && amount.Scale == plain.Scale;
        });
    }

    /// <summary>The bounds by exact arithmetic: |x| &lt; 10^12 and x·10^6 a whole number.</summary>
    private static AmountStatus Reference(string text, out decimal exact)
    {
        exact = 0;
        var unsigned = text.TrimStart('+', '-');
        var parts = unsigned.Split('.');
        var digits = string.Concat(parts);
        if (digits.Length == 0)
            return AmountStatus.NotANumber;
        var numerator = BigInteger.Parse("0" + digits, CultureInfo.InvariantCulture);
        var scale = parts.Length == 2 ? parts[1].Length : 0;
        var denominator = BigInteger.Pow(10, scale);
        if (numerator >= BigInteger.Pow(10, 12) * denominator)
            return AmountStatus.TooLarge;
        var micros = numerator * 1_000_000;
        if (micros % denominator != 0)
            return AmountStatus.TooPrecise;
        exact = (decimal)(micros / denominator) / 1_000_000m;
        if (text.StartsWith('-'))
            exact = -exact;
        return AmountStatus.Valid;
    }
}
