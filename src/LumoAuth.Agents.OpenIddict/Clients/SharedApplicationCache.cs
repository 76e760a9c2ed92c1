using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using LumoAuth.Agents.Caching;
using LumoAuth.Agents.Configuration;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.OpenIddict.Clients;

/// <summary>
/// The application lookups of every request in this process, kept for <see cref="LumoAgentsOptions.RegistryCacheDuration"/>
/// (OpenIddict's own cache lives for one request only, so each token request read its client from the database).
/// What is kept is a detached copy of the entity's fields; a request that finds it there gets its own copy, the same one
/// for the rest of the request, so nothing is shared between requests. A read that goes to the store hands out the
/// store's entity, exactly as before. Writing a copy (through <see cref="CachingApplicationManager{TApplication}"/>)
/// writes the store's entity instead, and only if the application is still what the copy was made from: otherwise
/// OpenIddict's concurrency exception, as for any stale entity. Every create, update and delete through the manager in
/// this process drops all kept applications; other instances see the change when their copies expire.
/// </summary>
/// <typeparam name="TApplication">The application entity.</typeparam>
internal sealed class SharedApplicationCache<TApplication> : IOpenIddictApplicationCache<TApplication> where TApplication : class
{
    private readonly IOpenIddictApplicationStore<TApplication> _store;
    private readonly SharedApplicationSnapshots<TApplication> _snapshots;

    // This request's applications by client_id and by id, so repeated lookups in one request return one instance.
    private readonly Dictionary<string, TApplication?> _byClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TApplication?> _byId = new(StringComparer.Ordinal);

    // The copies handed out in this request: what each was made from, and the store's entity once one was written.
    private readonly Dictionary<TApplication, (TApplication Snapshot, TApplication? Tracked)> _copies = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the request's view of the shared cache.</summary>
    public SharedApplicationCache(IOpenIddictApplicationStore<TApplication> store, SharedApplicationSnapshots<TApplication> snapshots)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(snapshots);
        _store = store;
        _snapshots = snapshots;
    }

    /// <inheritdoc />
    public ValueTask AddAsync(TApplication application, CancellationToken cancellationToken) => Forget();

    /// <inheritdoc />
    public ValueTask RemoveAsync(TApplication application, CancellationToken cancellationToken) => Forget();

    /// <inheritdoc />
    public ValueTask<TApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken) =>
        FindAsync(identifier, _byClientId, _snapshots.ByClientId, static (store, key, ct) => store.FindByClientIdAsync(key, ct), cancellationToken);

    /// <inheritdoc />
    public ValueTask<TApplication?> FindByIdAsync(string identifier, CancellationToken cancellationToken) =>
        FindAsync(identifier, _byId, _snapshots.ById, static (store, key, ct) => store.FindByIdAsync(key, ct), cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<TApplication> FindByPostLogoutRedirectUriAsync(string uri, CancellationToken cancellationToken) =>
        RememberAllAsync(_store.FindByPostLogoutRedirectUriAsync(uri, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<TApplication> FindByRedirectUriAsync(string uri, CancellationToken cancellationToken) =>
        RememberAllAsync(_store.FindByRedirectUriAsync(uri, cancellationToken), cancellationToken);

    /// <summary>
    /// Drops every kept application, here and in the process (a write may change the keys it is found by). Called by
    /// OpenIddict's manager around each write and again by <see cref="CachingApplicationManager{TApplication}"/> after a delete.
    /// </summary>
    internal ValueTask Forget()
    {
        _byClientId.Clear();
        _byId.Clear();
        _snapshots.ByClientId.InvalidateAll();
        _snapshots.ById.InvalidateAll();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The entity to write for <paramref name="application"/>: itself, or when it is a copy handed out by this cache, the
    /// store's entity with the copy's fields (the caller may have changed them), so the database context never holds two
    /// instances of one application. Throws OpenIddict's concurrency exception when the application changed since the
    /// copy was made, so a stale copy never overwrites a newer secret, permission or redirect URI.
    /// </summary>
    internal async ValueTask<TApplication> ForWriteAsync(TApplication application, CancellationToken cancellationToken)
    {
        if (!_copies.TryGetValue(application, out var copy))
        {
            return application;
        }

        if (copy.Tracked is { } tracked)
        {
            SharedApplicationSnapshots<TApplication>.CopyInto(application, tracked);
            return tracked;
        }

        var id = await _store.GetIdAsync(application, cancellationToken);
        var entity = string.IsNullOrEmpty(id) ? null : await _store.FindByIdAsync(id, cancellationToken);
        if (entity is null || !SharedApplicationSnapshots<TApplication>.SameFields(entity, copy.Snapshot))
        {
            await Forget(); // a retry reads the current application
            throw new OpenIddictExceptions.ConcurrencyException(
                "The application was changed or removed since it was read (possibly on another instance); read it again and retry.");
        }

        SharedApplicationSnapshots<TApplication>.CopyInto(application, entity);
        _copies[application] = (copy.Snapshot, entity);
        return entity;
    }

    private async ValueTask<TApplication?> FindAsync(string key, Dictionary<string, TApplication?> mine, RegistryCache<string, TApplication> shared,
        Func<IOpenIddictApplicationStore<TApplication>, string, CancellationToken, ValueTask<TApplication?>> read, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (mine.TryGetValue(key, out var known))
        {
            return known;
        }

        TApplication? application;
        if (!shared.Enabled)
        {
            application = await read(_store, key, cancellationToken);
        }
        else
        {
            // A miss reads the store and hands out the store's own entity, as OpenIddict's cache does; a hit hands out a copy.
            var reader = new Reader(_store, key, read);
            var snapshot = await shared.GetAsync(key, reader, static async (r, ct) =>
            {
                r.Entity = await r.Read(r.Store, r.Key, ct);
                return r.Entity is null ? null : SharedApplicationSnapshots<TApplication>.Copy(r.Entity);
            }, cancellationToken);
            application = snapshot is null ? null : reader.Entity;
            if (snapshot is not null && application is null)
            {
                application = SharedApplicationSnapshots<TApplication>.Copy(snapshot);
                _copies[application] = (snapshot, null);
            }
        }

        if (application is null)
        {
            mine[key] = null;
            return null;
        }

        return await RememberAsync(application, cancellationToken);
    }

    // Keeps one instance per application in this request: the one already remembered, or this one.
    private async ValueTask<TApplication> RememberAsync(TApplication application, CancellationToken cancellationToken)
    {
        var id = await _store.GetIdAsync(application, cancellationToken);
        if (!string.IsNullOrEmpty(id) && _byId.TryGetValue(id, out var known) && known is not null)
        {
            application = known;
        }
        else if (!string.IsNullOrEmpty(id))
        {
            _byId[id] = application;
        }

        if (await _store.GetClientIdAsync(application, cancellationToken) is { Length: > 0 } clientId)
        {
            _byClientId[clientId] = application;
        }

        return application;
    }

    private async IAsyncEnumerable<TApplication> RememberAllAsync(IAsyncEnumerable<TApplication> applications, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var application in applications.WithCancellation(cancellationToken))
        {
            yield return await RememberAsync(application, cancellationToken);
        }
    }

    private sealed class Reader(IOpenIddictApplicationStore<TApplication> store, string key,
        Func<IOpenIddictApplicationStore<TApplication>, string, CancellationToken, ValueTask<TApplication?>> read)
    {
        public IOpenIddictApplicationStore<TApplication> Store { get; } = store;

        public string Key { get; } = key;

        public Func<IOpenIddictApplicationStore<TApplication>, string, CancellationToken, ValueTask<TApplication?>> Read { get; } = read;

        public TApplication? Entity { get; set; }
    }
}

/// <summary>
/// The process-wide half of <see cref="SharedApplicationCache{TApplication}"/>: detached copies of applications by
/// <c>client_id</c> and by id. Only entity types whose public properties are all strings or value types with public
/// setters (besides navigation collections, which a copy leaves empty) can be copied faithfully; for any other type
/// <see cref="Supported"/> is false and nothing is kept across requests.
/// </summary>
/// <typeparam name="TApplication">The application entity.</typeparam>
internal sealed class SharedApplicationSnapshots<TApplication> where TApplication : class
{
    private static readonly Copier? Fields = BuildCopier();

    /// <summary>Creates the snapshots with the pack's registry cache duration.</summary>
    public SharedApplicationSnapshots(TimeProvider time, IOptions<LumoAgentsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lifetime = Fields is not null ? options.Value.RegistryCacheDuration : TimeSpan.Zero;
        ByClientId = new RegistryCache<string, TApplication>(time, lifetime, StringComparer.Ordinal);
        ById = new RegistryCache<string, TApplication>(time, lifetime, StringComparer.Ordinal);
    }

    /// <summary>Whether <typeparamref name="TApplication"/> can be copied, so applications are kept across requests.</summary>
    public static bool Supported => Fields is not null;

    internal RegistryCache<string, TApplication> ByClientId { get; }

    internal RegistryCache<string, TApplication> ById { get; }

    /// <summary>A detached copy of <paramref name="application"/>.</summary>
    internal static TApplication Copy(TApplication application) => Fields!.Copy(application);

    /// <summary>Sets every copied field of <paramref name="target"/> from <paramref name="source"/>.</summary>
    internal static void CopyInto(TApplication source, TApplication target) => Fields!.Into(source, target);

    /// <summary>Whether every copied field of the two is equal.</summary>
    internal static bool SameFields(TApplication left, TApplication right) => Fields!.Same(left, right);

    private sealed record Copier(Func<TApplication, TApplication> Copy, Action<TApplication, TApplication> Into, Func<TApplication, TApplication, bool> Same);

    private static Copier? BuildCopier()
    {
        var type = typeof(TApplication);
        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            return null;
        }

        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToList();
        var scalars = properties.Where(p => IsScalar(p.PropertyType) && p.CanRead && p.SetMethod is { IsPublic: true }).ToList();
        if (scalars.Count + properties.Count(p => IsNavigation(p.PropertyType)) != properties.Count)
        {
            return null; // a field that a copy would share or lose: nothing is kept across requests
        }

        var source = Expression.Parameter(type, "source");
        var target = Expression.Parameter(type, "target");
        var copy = Expression.Lambda<Func<TApplication, TApplication>>(
            Expression.MemberInit(Expression.New(type), scalars.Select(p => Expression.Bind(p, Expression.Property(source, p)))), source).Compile();
        var into = Expression.Lambda<Action<TApplication, TApplication>>(
            Expression.Block(typeof(void), scalars.Select(p => Expression.Assign(Expression.Property(target, p), Expression.Property(source, p)))), source, target).Compile();
        var same = Expression.Lambda<Func<TApplication, TApplication, bool>>(
            scalars.Select(p => (Expression)Expression.Call(
                    Expression.Property(null, typeof(EqualityComparer<>).MakeGenericType(p.PropertyType).GetProperty(nameof(EqualityComparer<int>.Default))!),
                    typeof(EqualityComparer<>).MakeGenericType(p.PropertyType).GetMethod(nameof(EqualityComparer<int>.Equals), [p.PropertyType, p.PropertyType])!,
                    Expression.Property(source, p), Expression.Property(target, p)))
                .Aggregate((Expression)Expression.Constant(true), Expression.AndAlso), source, target).Compile();
        return new Copier(copy, into, same);
    }

    private static bool IsScalar(Type type) => type == typeof(string) || type.IsValueType;

    // Authorizations and tokens of an application: left to the copy's own (empty) collections, as a detached entity's are.
    private static bool IsNavigation(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ICollection<>) && !IsScalar(type.GetGenericArguments()[0]);
}
