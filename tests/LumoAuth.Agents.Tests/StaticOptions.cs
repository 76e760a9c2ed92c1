using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Tests;

/// <summary>Options that tests change in place between calls.</summary>
internal sealed class StaticOptions<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
