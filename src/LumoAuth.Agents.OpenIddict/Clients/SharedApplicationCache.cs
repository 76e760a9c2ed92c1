using System.Linq.Expressions;
using System.Reflection;
using LumoAuth.Agents.Caching;
using LumoAuth.Agents.Configuration;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.OpenIddict.Clients;

/// <summary>
/// The application lookups of every request in this process, kept for <see cref="LumoAgentsOptions.RegistryCacheDuration"/>
/// (OpenIddict's own cache lives for one request only, so each token request read its client from the database).
/// What is kept is a detached copy of the entity's scalar fields; a request that finds it there gets its own copy, the
/// same one for the rest of the request, so nothing is shared between requests and an update or delete of that copy
/// attaches it as usual. A read that goes to the store hands out the store's entity, exactly as before. Every create,
/// update and delete through OpenIddict's manager in this process drops the application at once; other instances see
/// the change when their copy expires.
/// </summary>
/// <typeparam name="TApplication">The application entity.</typeparam>
public sealed class SharedApplicationCache<TApplication> : IOpenIddictApplicationCache<TApplication> where TApplication : class
{
    private readonly IOpenIddictApplicationStore<TApplication> _store;
    private readonly SharedApplicationSnapshots<TApplication> _snapshots;

    // This request's applications by client_id and by id, so repeated lookups in one request return one instance.
    private readonly Dictionary<string, TApplication?> _byClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TApplication?> _byId = new(StringComparer.Ordinal);

    // The copies handed out in this request: the manager swaps them for the store's entity before writing.
    private readonly HashSet<TApplication> _copies = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the request's view of the shared cache.</summary>
    public SharedApplicationCache(IOpenIddictApplicationStore<TApplication> store, SharedApplicationSnapshots<TApplication> snapshots)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(snapshots);
        _store = store;
        _snapshots = snapshots;
    }

    /// <inheritdoc />
    public ValueTask AddAsync(TApplication application, CancellationToken cancellationToken) => ForgetAsync(application, cancellationToken);

    /// <inheritdoc />
    public ValueTask RemoveAsync(TApplication application, CancellationToken cancellationToken) => ForgetAsync(application, cancellationToken);

    /// <inheritdoc />
    public ValueTask<TApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken) =>
        FindAsync(identifier, _byClientId, _snapshots.ByClientId, static (store, key, ct) => store.FindByClientIdAsync(key, ct), cancellationToken);

    /// <inheritdoc />
    public ValueTask<TApplication?> FindByIdAsync(string identifier, CancellationToken cancellationToken) =>
        FindAsync(identifier, _byId, _snapshots.ById, static (store, key, ct) => store.FindByIdAsync(key, ct), cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<TApplication> FindByPostLogoutRedirectUriAsync(string uri, CancellationToken cancellationToken) =>
        _store.FindByPostLogoutRedirectUriAsync(uri, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<TApplication> FindByRedirectUriAsync(string uri, CancellationToken cancellationToken) =>
        _store.FindByRedirectUriAsync(uri, cancellationToken);

    private async ValueTask<TApplication?> FindAsync(string key, Dictionary<string, TApplication?> mine, RegistryCache<string, TApplication> shared,
        Func<IOpenIddictApplicationStore<TApplication>, string, CancellationToken, ValueTask<TApplication?>> read, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (mine.TryGetValue(key, out var known))
        {
            return known;
        }

        // A miss reads the store and hands out the store's own entity, as OpenIddict's cache does; a hit hands out a copy.
        var reader = new Reader(_store, key, read);
        var snapshot = await shared.GetAsync(key, reader, static async (r, ct) =>
        {
            r.Entity = await r.Read(r.Store, r.Key, ct);
            return r.Entity is null ? null : SharedApplicationSnapshots<TApplication>.Copy(r.Entity);
        }, cancellationToken);
        var application = snapshot is null ? null : reader.Entity ?? SharedApplicationSnapshots<TApplication>.Copy(snapshot);
        if (application is null)
        {
            mine[key] = null;
            return null;
        }

        if (reader.Entity is null)
        {
            _copies.Add(application);
        }

        await RememberAsync(application, cancellationToken);
        return application;
    }

    /// <summary>
    /// The entity to write for <paramref name="application"/>: itself, or when it is a copy handed out by this cache, the
    /// store's tracked entity with the copy's fields (the copy may have been changed), so the database context never
    /// holds two instances of one application.
    /// </summary>
    internal async ValueTask<TApplication> ForWriteAsync(TApplication application, CancellationToken cancellationToken)
    {
        if (!_copies.Remove(application) || await _store.GetIdAsync(application, cancellationToken) is not { Length: > 0 } id ||
            await _store.FindByIdAsync(id, cancellationToken) is not { } entity)
        {
            return application;
        }

        SharedApplicationSnapshots<TApplication>.CopyInto(application, entity);
        return entity;
    }

    private sealed class Reader(IOpenIddictApplicationStore<TApplication> store, string key,
        Func<IOpenIddictApplicationStore<TApplication>, string, CancellationToken, ValueTask<TApplication?>> read)
    {
        public IOpenIddictApplicationStore<TApplication> Store { get; } = store;

        public string Key { get; } = key;

        public Func<IOpenIddictApplicationStore<TApplication>, string, CancellationToken, ValueTask<TApplication?>> Read { get; } = read;

        public TApplication? Entity { get; set; }
    }

    private async ValueTask RememberAsync(TApplication application, CancellationToken cancellationToken)
    {
        if (await _store.GetClientIdAsync(application, cancellationToken) is { Length: > 0 } clientId)
        {
            _byClientId[clientId] = application;
        }

        if (await _store.GetIdAsync(application, cancellationToken) is { Length: > 0 } id)
        {
            _byId[id] = application;
        }
    }

    private async ValueTask ForgetAsync(TApplication application, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(application);
        if (await _store.GetClientIdAsync(application, cancellationToken) is { Length: > 0 } clientId)
        {
            _byClientId.Remove(clientId);
            _snapshots.ByClientId.Invalidate(clientId);
        }

        if (await _store.GetIdAsync(application, cancellationToken) is { Length: > 0 } id)
        {
            _byId.Remove(id);
            _snapshots.ById.Invalidate(id);
        }
    }
}

/// <summary>
/// The process-wide half of <see cref="SharedApplicationCache{TApplication}"/>: detached copies of applications by
/// <c>client_id</c> and by id. Only entity types whose writable public properties are all strings or value types
/// (besides navigation collections) can be copied faithfully; for any other type <see cref="Supported"/> is false and
/// OpenIddict's per-request cache is kept.
/// </summary>
/// <typeparam name="TApplication">The application entity.</typeparam>
public sealed class SharedApplicationSnapshots<TApplication> where TApplication : class
{
    private static readonly (Func<TApplication, TApplication> Copy, Action<TApplication, TApplication> Into)? Copier = BuildCopier();

    /// <summary>Creates the snapshots with the pack's registry cache duration.</summary>
    public SharedApplicationSnapshots(TimeProvider time, IOptions<LumoAgentsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lifetime = Copier is not null ? options.Value.RegistryCacheDuration : TimeSpan.Zero;
        ByClientId = new RegistryCache<string, TApplication>(time, lifetime, StringComparer.Ordinal);
        ById = new RegistryCache<string, TApplication>(time, lifetime, StringComparer.Ordinal);
    }

    /// <summary>Whether <typeparamref name="TApplication"/> can be copied, so applications are kept across requests.</summary>
    public bool Supported => Copier is not null;

    /// <summary>A detached copy of <paramref name="application"/> (itself when the type cannot be copied: nothing is then kept).</summary>
    internal static TApplication Copy(TApplication application) => Copier is null ? application : Copier.Value.Copy(application);

    /// <summary>Sets every copied field of <paramref name="target"/> from <paramref name="source"/>.</summary>
    internal static void CopyInto(TApplication source, TApplication target) => Copier?.Into(source, target);

    internal RegistryCache<string, TApplication> ByClientId { get; }

    internal RegistryCache<string, TApplication> ById { get; }

    private static (Func<TApplication, TApplication>, Action<TApplication, TApplication>)? BuildCopier()
    {
        var type = typeof(TApplication);
        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            return null;
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0 && p.SetMethod!.IsPublic)
            .ToList();
        if (properties.Any(p => !IsScalar(p.PropertyType) && !IsNavigation(p.PropertyType)))
        {
            return null; // a field that a copy would share or lose: keep OpenIddict's per-request cache
        }

        var scalars = properties.Where(p => IsScalar(p.PropertyType)).ToList();
        var source = Expression.Parameter(type, "source");
        var target = Expression.Parameter(type, "target");
        var copy = Expression.Lambda<Func<TApplication, TApplication>>(
            Expression.MemberInit(Expression.New(type), scalars.Select(p => Expression.Bind(p, Expression.Property(source, p)))), source).Compile();
        var into = Expression.Lambda<Action<TApplication, TApplication>>(
            Expression.Block(scalars.Select(p => Expression.Assign(Expression.Property(target, p), Expression.Property(source, p)))), source, target).Compile();
        return (copy, into);
    }

    private static bool IsScalar(Type type) => type == typeof(string) || type.IsValueType;

    // Authorizations and tokens of an application: left to the copy's own (empty) collections, as a detached entity's are.
    private static bool IsNavigation(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ICollection<>) && !IsScalar(type.GetGenericArguments()[0]);
}
