using System.Text;
using KpiPipeline.Lake;

namespace KpiPipeline.Testing;

/// <summary>A lake in a fresh temporary folder, deleted on dispose.</summary>
public sealed class TempLake : IDisposable
{
    public TempLake()
    {
        Root = Path.Combine(Path.GetTempPath(), "kpi-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Store = new LocalObjectStore(Root);
    }

    public string Root { get; }

    public LocalObjectStore Store { get; }

    public string PathOf(string key) => Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Writes a text object (UTF-8, no BOM) under the key.</summary>
    public void Write(string key, string content)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(false));
    }

    public bool Exists(string key) => File.Exists(PathOf(key));

    public string Read(string key) => File.ReadAllText(PathOf(key));

    /// <summary>Every object key in the lake, sorted.</summary>
    public IReadOnlyList<string> Keys() => Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
        .Select(p => Path.GetRelativePath(Root, p).Replace(Path.DirectorySeparatorChar, '/'))
        .Order(StringComparer.Ordinal)
        .ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
