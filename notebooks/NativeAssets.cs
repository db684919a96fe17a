using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace KpiPipeline.Notebooks;

/// <summary>
/// Makes the libraries a notebook loads with <c>#r</c> from this folder find what they depend on. The kernel process
/// resolves assemblies and native libraries from its own dependency file, which lists none of ours: assemblies
/// they ask for are loaded from this folder, and the native libraries of SQLite (the local KPI store), SkiaSharp
/// and HarfBuzzSharp (ScottPlot's rendering), Mono.Unix (the local lake's file types) and ParquetSharp (curated order lines) from its <c>runtimes/&lt;rid&gt;/native/</c>, where the build put them.
/// </summary>
public static class NativeAssets
{
    private static readonly Lock Gate = new();
    private static readonly string Here = Path.GetDirectoryName(typeof(NativeAssets).Assembly.Location)!;
    private static bool _registered;

    public static void Register()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            AssemblyLoadContext.Default.Resolving += (context, name) => Loaded(name.Name) ?? FromHere(context, name.Name);
            foreach (var assembly in new[] { "SkiaSharp", "HarfBuzzSharp", "SQLitePCLRaw.provider.e_sqlite3", "Mono.Unix", "ParquetSharp" })
                Resolve(Loaded(assembly) ?? FromHere(AssemblyLoadContext.Default, assembly) ?? Assembly.Load(assembly));
            _registered = true;
        }
    }

    /// <summary>
    /// The copy already loaded, whatever context loaded it: the kernel loads #r assemblies its own way, and a second
    /// copy of one would be another assembly to the runtime (a field of a notebook variable's type would not be found).
    /// </summary>
    private static Assembly? Loaded(string? name) =>
        AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => string.Equals(a.GetName().Name, name, StringComparison.Ordinal));

    private static Assembly? FromHere(AssemblyLoadContext context, string? name) =>
        name is not null && File.Exists(Path.Combine(Here, name + ".dll")) ? context.LoadFromAssemblyPath(Path.Combine(Here, name + ".dll")) : null;

    private static void Resolve(Assembly assembly)
    {
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, (name, _, _) =>
                NativeLibrary.TryLoad(PathOf(name), out var handle) ? handle : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // The host already resolves this assembly's libraries (a process whose dependency file lists them).
        }
    }

    private static string PathOf(string name)
    {
        var windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        var library = windows || name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name;
        var extension = windows ? ".dll" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? ".dylib" : ".so";
        var folder = Path.Combine(Here, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        // Most packages name the file lib<name> (SQLite, SkiaSharp); some keep the bare name (ParquetSharpNative).
        var prefixed = Path.Combine(folder, library + extension);
        return File.Exists(prefixed) ? prefixed : Path.Combine(folder, name + extension);
    }
}
