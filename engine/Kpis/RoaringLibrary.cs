using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.InteropServices;
using Roaring.Net.CRoaring;

namespace KpiPipeline.Kpis;

/// <summary>
/// Lets CRoaring's native library load in hosts that do not read this application's dependency file — a .NET
/// Interactive notebook, a file-based C# script — by looking in <c>runtimes/&lt;os&gt;-&lt;arch&gt;/native/</c> beside
/// Roaring.Net.dll, where the package's build output puts it. Applications built normally find it without this.
/// </summary>
internal static class RoaringLibrary
{
    private static int _registered;

    public static void EnsureResolvable()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
            return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Roaring32Bitmap).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // The host or the package set a resolver already: it is in charge of finding the library.
        }
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Only hosts that load Roaring.Net.dll from a file need this; in a single-file or Native AOT executable the library sits beside it and the first TryLoad finds it.")]
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (NativeLibrary.TryLoad(name, assembly, searchPath, out var handle))
            return handle;
        var folder = Path.GetDirectoryName(assembly.Location);
        if (string.IsNullOrEmpty(folder))
            return IntPtr.Zero;
        var (os, file) = OperatingSystem.IsWindows() ? ("win", $"{name}.dll")
            : OperatingSystem.IsMacOS() ? ("osx", $"lib{name}.dylib")
            : ("linux", $"lib{name}.so");
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var path = Path.Combine(folder, "runtimes", $"{os}-{architecture}", "native", file);
        return NativeLibrary.TryLoad(path, out handle) ? handle : IntPtr.Zero;
    }
}
