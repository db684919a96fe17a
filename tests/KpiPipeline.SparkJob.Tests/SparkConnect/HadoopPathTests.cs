using KpiPipeline.SparkJob.SparkConnect;
using KpiPipeline.SparkJob.Tests.SparkConnect.DuckDb;

namespace KpiPipeline.SparkJob.Tests.SparkConnect;

public sealed class HadoopPathTests
{
    [Theory]
    [InlineData("/data/my lake")]
    [InlineData("/data/lake #1/")]
    [InlineData("/data/100% real")]
    [InlineData("/data/Grüße/湖")]
    [InlineData("/data/a%20b")]
    public void FromLocalFolder_AwkwardCharacters_AreKeptVerbatimSoHadoopPathResolvesTheSameFolder(string folder)
    {
        var path = HadoopPath.FromLocalFolder(folder);

        Assert.Equal("file://" + folder.TrimEnd('/') + "/", path);
        Assert.Equal(folder.TrimEnd('/') + "/", HadoopPathModel.LocalFolder(path));
    }

    [Fact]
    public void FromLocalFolder_RelativeFolder_IsMadeAbsolute()
    {
        var path = HadoopPath.FromLocalFolder("lake");

        Assert.Equal("file://" + Path.GetFullPath("lake") + "/", path);
    }

    [Theory]
    [InlineData("/data/lake[1]", '[')]
    [InlineData("/data/lake*", '*')]
    [InlineData("/data/what?", '?')]
    [InlineData("/data/{a,b}", '{')]
    public void FromLocalFolder_GlobCharacter_IsRefusedNamingIt(string folder, char glob)
    {
        var ex = Assert.Throws<ArgumentException>(() => HadoopPath.FromLocalFolder(folder));

        Assert.StartsWith($"Spark cannot read the local lake '{folder}': it would take '{glob}' as a glob pattern", ex.Message, StringComparison.Ordinal);
    }
}
