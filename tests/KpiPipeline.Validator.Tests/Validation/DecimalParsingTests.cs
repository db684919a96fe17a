using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Contracts;

namespace KpiPipeline.Validator.Tests.Validation;

/// <summary>
/// Values.TryParseDecimal builds short decimals itself for speed (the validator's hottest parser); it must
/// agree with decimal.TryParse on every plain-notation input, value and scale.
/// </summary>
public sealed class DecimalParsingTests
{
    [Theory]
    [InlineData("12.50", true, "12.50")]
    [InlineData("-0", true, "0")]
    [InlineData("+3", true, "3")]
    [InlineData(".5", true, "0.5")]
    [InlineData("5.", true, "5")]
    [InlineData("9999999999999999999", true, "9999999999999999999")]
    [InlineData("0.000000000000000000000000001", true, "0.000000000000000000000000001")]
    [InlineData("1e3", false, "0")]
    [InlineData("1,5", false, "0")]
    [InlineData(".", false, "0")]
    [InlineData("-", false, "0")]
    [InlineData("1.2.3", false, "0")]
    public void TryParseDecimal_Examples_AcceptsPlainNotationOnly(string text, bool parses, string value)
    {
        Assert.Equal(parses, Values.TryParseDecimal(Encoding.UTF8.GetBytes(text), out var parsed));
        Assert.Equal(decimal.Parse(value, CultureInfo.InvariantCulture), parsed);
    }

    [Property(MaxTest = 2000)]
    public Property TryParseDecimal_AnyPlainNumber_AgreesWithDecimalTryParseOnValueAndScale()
    {
        var number =
            from sign in Gen.Elements("", "-", "+")
            from whole in Gen.Elements("0", "1", "7", "9").ArrayOf().Select(d => string.Concat(d))
            from dot in Gen.Elements(true, false)
            from fraction in Gen.Elements("0", "5", "9", "3").ArrayOf().Select(d => string.Concat(d))
            select sign + whole + (dot ? "." + fraction : "");

        return Prop.ForAll(number.ToArbitrary(), text =>
        {
            var ours = Values.TryParseDecimal(Encoding.UTF8.GetBytes(text), out var value);
            var digits = text.Count(char.IsAsciiDigit);
            var theirs = digits is > 0 and <= 28
                && decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var expected)
                && value == expected && value.Scale == expected.Scale;
            return ours == (digits is > 0 and <= 28) && (!ours || theirs);
        });
    }
}
