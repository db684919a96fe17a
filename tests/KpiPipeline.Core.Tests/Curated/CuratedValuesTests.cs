using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using KpiPipeline.Contracts;
using KpiPipeline.Curated;

namespace KpiPipeline.Core.Tests.Curated;

public sealed class CuratedValuesTests
{
    [Property(MaxTest = 2000)]
    public Property TryParsePlainMillionths_PlainPrice_EqualsTheDecimalPath() =>
        Prop.ForAll(
            Gen.Choose(0, 12).SelectMany(integerDigits => Gen.Choose(0, 6).SelectMany(places =>
                Gen.ArrayOf(Gen.Choose(0, 9), integerDigits + places).Select(digits => Text(digits, integerDigits, places))))
                .Where(text => text.Length > 0 && text[0] != '.')
                .ToArbitrary(),
            text =>
            {
                var parsed = CuratedValues.TryParsePlainMillionths(Encoding.ASCII.GetBytes(text), out var fast);
                var expected = Values.ParseAmount(Encoding.ASCII.GetBytes(text), out var amount, out _) == AmountStatus.Valid
                    && CuratedValues.TryToMillionths(amount, out var slow) ? slow : (long?)null;
                return (parsed && fast == expected).Label($"{text}: fast {(parsed ? fast : "declined")}, decimal path {expected}");
            });

    [Theory]
    [InlineData("-1.5")]
    [InlineData("+1.5")]
    [InlineData("1.1234567")]
    [InlineData("1234567890123")]
    [InlineData("12.")]
    [InlineData(".5")]
    [InlineData("1e3")]
    [InlineData("1,5")]
    [InlineData("")]
    public void TryParsePlainMillionths_AnyOtherForm_LeavesItToTheDecimalPath(string text)
    {
        Assert.False(CuratedValues.TryParsePlainMillionths(Encoding.ASCII.GetBytes(text), out _));
    }

    [Theory]
    [InlineData("0.000001", 1)]
    [InlineData("999999999999.999999", 999_999_999_999_999_999)]
    [InlineData("007.50", 7_500_000)]
    public void TryParsePlainMillionths_Bounds_ReadExactly(string text, long millionths)
    {
        Assert.True(CuratedValues.TryParsePlainMillionths(Encoding.ASCII.GetBytes(text), out var parsed));
        Assert.Equal(millionths, parsed);
    }

    private static string Text(int[] digits, int integerDigits, int places)
    {
        var text = new StringBuilder();
        for (var i = 0; i < digits.Length; i++)
        {
            if (i == integerDigits)
                text.Append('.');
            text.Append(digits[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
