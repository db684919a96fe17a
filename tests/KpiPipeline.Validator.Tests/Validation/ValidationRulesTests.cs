using System.Text.RegularExpressions;
using KpiPipeline.Validation;

namespace KpiPipeline.Validator.Tests.Validation;

public sealed partial class ValidationRulesTests
{
    [Fact]
    public void All_EveryRule_HasAUniqueSnakeCaseIdADescriptionAndAnExpectation()
    {
        Assert.Equal(ValidationRules.All.Count, ValidationRules.All.Select(r => r.Id).Distinct().Count());
        Assert.All(ValidationRules.All, rule =>
        {
            Assert.Matches(SnakeCase(), rule.Id);
            Assert.False(string.IsNullOrWhiteSpace(rule.Description));
            Assert.False(string.IsNullOrWhiteSpace(rule.Expected));
        });
    }

    [Fact]
    public void All_ListsEveryPublicRuleField()
    {
        var fields = typeof(ValidationRules).GetFields().Where(f => f.FieldType == typeof(ValidationRule)).Select(f => (ValidationRule)f.GetValue(null)!);

        Assert.Equal(fields.OrderBy(r => r.Id, StringComparer.Ordinal), ValidationRules.All.OrderBy(r => r.Id, StringComparer.Ordinal));
    }

    [Fact]
    public void Find_KnownAndUnknownIds_ReturnsRuleOrNull()
    {
        Assert.Same(ValidationRules.NotUtf8, ValidationRules.Find("not_utf8"));
        Assert.Null(ValidationRules.Find("nope"));
    }

    [GeneratedRegex("^[a-z0-9]+(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}
