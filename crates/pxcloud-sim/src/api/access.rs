//! Access control: users, groups, roles and ACL entries.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crud::{Resource, crud};
use crate::auth::now_ms;
use crate::envelope::{ApiError, Validate};
use crate::state::Store;

/// A PXCloud user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct User {
    /// Id.
    pub(crate) id: String,
    /// Login name, unique.
    pub(crate) username: String,
    /// E-mail address.
    pub(crate) email: String,
    /// Full name.
    pub(crate) full_name: Option<String>,
    /// Group ids.
    pub(crate) groups: Vec<String>,
    /// Role ids granted directly.
    pub(crate) roles: Vec<String>,
    /// May log in.
    pub(crate) enabled: bool,
    /// Creation time, Unix seconds.
    pub(crate) created_at: u64,
}

/// Fields of a user.
#[derive(Deserialize, ToSchema)]
pub(crate) struct UserInput {
    /// Login name.
    #[schema(min_length = 3, max_length = 32, pattern = "^[a-z][a-z0-9._-]*$")]
    username: String,
    /// E-mail address.
    #[schema(format = Email)]
    email: String,
    /// Full name.
    full_name: Option<String>,
    /// Password, at least 8 characters; required on create, unchanged on update when omitted.
    #[schema(format = Password, write_only, min_length = 8)]
    password: Option<String>,
    /// Group ids (must exist).
    #[serde(default)]
    groups: Vec<String>,
    /// Role ids (must exist).
    #[serde(default)]
    roles: Vec<String>,
    /// May log in.
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Validate for UserInput {
    fn validate(&self) -> Result<(), ApiError> {
        let u = &self.username;
        if u.len() < 3
            || u.len() > 32
            || !u.starts_with(|c: char| c.is_ascii_lowercase())
            || !u
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        {
            return Err(ApiError::invalid(
                "username",
                "3-32 characters matching ^[a-z][a-z0-9._-]*$",
            ));
        }
        let at = self.email.find('@');
        if at.is_none_or(|i| i == 0 || !self.email.get(i + 1..).is_some_and(|d| d.contains('.'))) {
            return Err(ApiError::invalid("email", "must be an e-mail address"));
        }
        if self
            .password
            .as_ref()
            .is_some_and(|p| p.chars().count() < 8)
        {
            return Err(ApiError::invalid(
                "password",
                "must be at least 8 characters",
            ));
        }
        Ok(())
    }
}

fn check_refs(store: &Store, groups: &[String], roles: &[String]) -> Result<(), ApiError> {
    for (i, g) in groups.iter().enumerate() {
        if store.extra.crud.find::<Group>(g).is_none() {
            return Err(ApiError::invalid(
                &format!("groups[{i}]"),
                format!("unknown group '{g}'"),
            ));
        }
    }
    for (i, r) in roles.iter().enumerate() {
        if store.extra.crud.find::<Role>(r).is_none() {
            return Err(ApiError::invalid(
                &format!("roles[{i}]"),
                format!("unknown role '{r}'"),
            ));
        }
    }
    Ok(())
}

impl Resource for User {
    const COLLECTION: &'static str = "users";
    const KIND: &'static str = "user";
    const ID_PREFIX: &'static str = "usr";
    type Input = UserInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.username
    }
    fn create(id: String, i: UserInput, store: &Store) -> Result<Self, ApiError> {
        if i.password.is_none() {
            return Err(ApiError::invalid(
                "password",
                "required when creating a user",
            ));
        }
        check_refs(store, &i.groups, &i.roles)?;
        Ok(User {
            id,
            username: i.username,
            email: i.email,
            full_name: i.full_name,
            groups: i.groups,
            roles: i.roles,
            enabled: i.enabled,
            created_at: now_ms() / 1000,
        })
    }
    fn update(&mut self, i: UserInput, store: &Store) -> Result<(), ApiError> {
        check_refs(store, &i.groups, &i.roles)?;
        self.username = i.username;
        self.email = i.email;
        self.full_name = i.full_name;
        self.groups = i.groups;
        self.roles = i.roles;
        self.enabled = i.enabled;
        Ok(())
    }
    fn check_delete(&self, _: &Store) -> Result<(), ApiError> {
        if self.username == crate::ADMIN_USER {
            return Err(ApiError::conflict(
                "in_use",
                "the built-in admin cannot be deleted",
            ));
        }
        Ok(())
    }
}

/// A group of users.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Group {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Description.
    pub(crate) description: Option<String>,
}

/// Fields of a group.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct GroupInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Description.
    description: Option<String>,
}

impl Validate for GroupInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)
    }
}

impl Resource for Group {
    const COLLECTION: &'static str = "groups";
    const KIND: &'static str = "group";
    const ID_PREFIX: &'static str = "grp";
    type Input = GroupInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn create(id: String, i: GroupInput, _: &Store) -> Result<Self, ApiError> {
        Ok(Group {
            id,
            name: i.name,
            description: i.description,
        })
    }
    fn update(&mut self, i: GroupInput, _: &Store) -> Result<(), ApiError> {
        self.name = i.name;
        self.description = i.description;
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        let n = store
            .extra
            .crud
            .all::<User>()
            .iter()
            .filter(|u| u.groups.contains(&self.id))
            .count();
        if n > 0 {
            return Err(ApiError::conflict(
                "in_use",
                format!("group {} still has {n} members", self.id),
            ));
        }
        Ok(())
    }
}

/// A privilege.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub(crate) enum Privilege {
    /// See VMs.
    #[serde(rename = "VM.Audit")]
    VmAudit,
    /// Power VMs on and off.
    #[serde(rename = "VM.PowerMgmt")]
    VmPowerMgmt,
    /// Open and share consoles.
    #[serde(rename = "VM.Console")]
    VmConsole,
    /// Create and delete VMs.
    #[serde(rename = "VM.Allocate")]
    VmAllocate,
    /// Snapshots.
    #[serde(rename = "VM.Snapshot")]
    VmSnapshot,
    /// Backups.
    #[serde(rename = "VM.Backup")]
    VmBackup,
    /// See system state.
    #[serde(rename = "Sys.Audit")]
    SysAudit,
    /// Change system settings.
    #[serde(rename = "Sys.Modify")]
    SysModify,
    /// Manage storage.
    #[serde(rename = "Datastore.Allocate")]
    DatastoreAllocate,
    /// Manage users and ACLs.
    #[serde(rename = "Permissions.Modify")]
    PermissionsModify,
}

/// A role: a named set of privileges.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct Role {
    /// Id.
    pub(crate) id: String,
    /// Unique name.
    pub(crate) name: String,
    /// Privileges.
    pub(crate) privileges: Vec<Privilege>,
    /// Built-in roles cannot change.
    pub(crate) builtin: bool,
}

/// Fields of a role.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RoleInput {
    /// Unique name.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Privileges (at least one).
    #[schema(min_items = 1)]
    privileges: Vec<Privilege>,
}

impl Validate for RoleInput {
    fn validate(&self) -> Result<(), ApiError> {
        super::check_name("name", &self.name)?;
        if self.privileges.is_empty() {
            return Err(ApiError::invalid(
                "privileges",
                "must contain at least one privilege",
            ));
        }
        Ok(())
    }
}

impl Resource for Role {
    const COLLECTION: &'static str = "roles";
    const KIND: &'static str = "role";
    const ID_PREFIX: &'static str = "role";
    type Input = RoleInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn create(id: String, i: RoleInput, _: &Store) -> Result<Self, ApiError> {
        Ok(Role {
            id,
            name: i.name,
            privileges: i.privileges,
            builtin: false,
        })
    }
    fn update(&mut self, i: RoleInput, _: &Store) -> Result<(), ApiError> {
        if self.builtin {
            return Err(ApiError::conflict(
                "builtin",
                format!("role {} is built in", self.name),
            ));
        }
        self.name = i.name;
        self.privileges = i.privileges;
        Ok(())
    }
    fn check_delete(&self, store: &Store) -> Result<(), ApiError> {
        if self.builtin {
            return Err(ApiError::conflict(
                "builtin",
                format!("role {} is built in", self.name),
            ));
        }
        if store
            .extra
            .crud
            .all::<AclEntry>()
            .iter()
            .any(|a| a.role_id == self.id)
        {
            return Err(ApiError::conflict(
                "in_use",
                format!("role {} is used by ACL entries", self.id),
            ));
        }
        Ok(())
    }
}

/// Who an ACL entry grants to.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PrincipalKind {
    /// A user.
    User,
    /// A group.
    Group,
}

/// An ACL entry: a role on an object path for a user or group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct AclEntry {
    /// Id.
    pub(crate) id: String,
    /// Object path, e.g. `/vms/cluster1:pve1:100`, `/nodes/pve1`, `/`.
    pub(crate) path: String,
    /// User or group.
    pub(crate) principal_kind: PrincipalKind,
    /// User id or group id.
    pub(crate) principal: String,
    /// Role id.
    pub(crate) role_id: String,
    /// Applies to objects below the path too.
    pub(crate) propagate: bool,
}

/// Fields of an ACL entry.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AclEntryInput {
    /// Object path starting with `/`.
    #[schema(pattern = "^/")]
    path: String,
    /// User or group.
    principal_kind: PrincipalKind,
    /// User id or group id (must exist).
    principal: String,
    /// Role id (must exist).
    role_id: String,
    /// Applies to objects below the path too.
    #[serde(default = "yes")]
    propagate: bool,
}

impl Validate for AclEntryInput {
    fn validate(&self) -> Result<(), ApiError> {
        if !self.path.starts_with('/') {
            return Err(ApiError::invalid("path", "must start with '/'"));
        }
        Ok(())
    }
}

fn build_acl(id: String, i: AclEntryInput, store: &Store) -> Result<AclEntry, ApiError> {
    let known = match i.principal_kind {
        PrincipalKind::User => store.extra.crud.find::<User>(&i.principal).is_some(),
        PrincipalKind::Group => store.extra.crud.find::<Group>(&i.principal).is_some(),
    };
    if !known {
        return Err(ApiError::invalid(
            "principal",
            format!("unknown {:?} '{}'", i.principal_kind, i.principal).to_lowercase(),
        ));
    }
    if store.extra.crud.find::<Role>(&i.role_id).is_none() {
        return Err(ApiError::invalid(
            "role_id",
            format!("unknown role '{}'", i.role_id),
        ));
    }
    let dup = store.extra.crud.all::<AclEntry>().into_iter().any(|a| {
        a.id != id && a.path == i.path && a.principal == i.principal && a.role_id == i.role_id
    });
    if dup {
        return Err(ApiError::conflict(
            "already_exists",
            "the same grant already exists",
        ));
    }
    Ok(AclEntry {
        id,
        path: i.path,
        principal_kind: i.principal_kind,
        principal: i.principal,
        role_id: i.role_id,
        propagate: i.propagate,
    })
}

impl Resource for AclEntry {
    const COLLECTION: &'static str = "acl";
    const KIND: &'static str = "ACL entry";
    const ID_PREFIX: &'static str = "acl";
    const UNIQUE_NAMES: bool = false;
    type Input = AclEntryInput;
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.path
    }
    fn has_parent(&self, parent: &str) -> bool {
        self.principal == parent
    }
    fn create(id: String, i: AclEntryInput, store: &Store) -> Result<Self, ApiError> {
        build_acl(id, i, store)
    }
    fn update(&mut self, i: AclEntryInput, store: &Store) -> Result<(), ApiError> {
        *self = build_acl(self.id.clone(), i, store)?;
        Ok(())
    }
}

pub(crate) mod users {
    use super::{User, UserInput};
    super::crud! {
        type = User, input = UserInput, tag = "Users",
        collection = "/api/users", item = "/api/users/{id}",
        list = list_users "List users." "Users with pagination; `search` matches the user name.",
        get = get_user "Get a user." "One user (never the password).",
        create = create_user "Create a user." "User names are unique (409); groups and roles must exist (422).",
        update = update_user "Update a user." "The password stays unchanged when omitted.",
        delete = delete_user "Delete a user." "The built-in admin cannot be deleted (409).",
    }
}

pub(crate) mod groups {
    use super::{Group, GroupInput};
    super::crud! {
        type = Group, input = GroupInput, tag = "Groups",
        collection = "/api/groups", item = "/api/groups/{id}",
        list = list_groups "List groups." "Groups with pagination.",
        get = get_group "Get a group." "One group.",
        create = create_group "Create a group." "Names are unique (409).",
        update = update_group "Update a group." "Replaces every field.",
        delete = delete_group "Delete a group." "A group with members answers 409.",
    }
}

pub(crate) mod roles {
    use super::{Role, RoleInput};
    super::crud! {
        type = Role, input = RoleInput, tag = "Roles",
        collection = "/api/roles", item = "/api/roles/{id}",
        list = list_roles "List roles." "Built-in and custom roles with their privileges.",
        get = get_role "Get a role." "One role.",
        create = create_role "Create a role." "AI hint: grant the fewest privileges that do the job.",
        update = update_role "Update a role." "Built-in roles answer 409.",
        delete = delete_role "Delete a role." "Built-in roles and roles used by ACL entries answer 409.",
    }
}

pub(crate) mod acl {
    use super::{AclEntry, AclEntryInput};
    super::crud! {
        type = AclEntry, input = AclEntryInput, tag = "ACL",
        collection = "/api/acl", item = "/api/acl/{id}",
        list = list_acl "List ACL entries." "Filter by principal with `parent=<user or group id>`; `search` matches the object path.",
        get = get_acl_entry "Get an ACL entry." "One entry.",
        create = create_acl_entry "Grant a role on a path." "The principal and role must exist (422); the same grant twice answers 409.",
        update = update_acl_entry "Update an ACL entry." "Replaces every field.",
        delete = delete_acl_entry "Revoke an ACL entry." "Removes the grant.",
    }
}

/// Seed: admin and viewer, two groups, built-in roles, one ACL entry.
pub(crate) fn seed(c: &mut super::crud::Collections) {
    use Privilege::*;
    c.seed(&Role {
        id: "role-admin".into(),
        name: "Administrator".into(),
        privileges: vec![
            VmAudit,
            VmPowerMgmt,
            VmConsole,
            VmAllocate,
            VmSnapshot,
            VmBackup,
            SysAudit,
            SysModify,
            DatastoreAllocate,
            PermissionsModify,
        ],
        builtin: true,
    });
    c.seed(&Role {
        id: "role-audit".into(),
        name: "Auditor".into(),
        privileges: vec![VmAudit, SysAudit],
        builtin: true,
    });
    c.seed(&Role {
        id: "role-operator".into(),
        name: "VMOperator".into(),
        privileges: vec![VmAudit, VmPowerMgmt, VmConsole],
        builtin: false,
    });
    c.seed(&Group {
        id: "grp-ops".into(),
        name: "ops".into(),
        description: Some("Operations team".into()),
    });
    c.seed(&Group {
        id: "grp-audit".into(),
        name: "auditors".into(),
        description: None,
    });
    c.seed(&User {
        id: "usr-admin".into(),
        username: crate::ADMIN_USER.into(),
        email: "admin@example.com".into(),
        full_name: Some("Administrator".into()),
        groups: vec!["grp-ops".into()],
        roles: vec!["role-admin".into()],
        enabled: true,
        created_at: 1_700_000_000,
    });
    c.seed(&User {
        id: "usr-viewer".into(),
        username: crate::VIEWER_USER.into(),
        email: "viewer@example.com".into(),
        full_name: None,
        groups: vec!["grp-audit".into()],
        roles: vec!["role-audit".into()],
        enabled: true,
        created_at: 1_700_000_000,
    });
    c.seed(&AclEntry {
        id: "acl-1".into(),
        path: "/".into(),
        principal_kind: PrincipalKind::Group,
        principal: "grp-audit".into(),
        role_id: "role-audit".into(),
        propagate: true,
    });
}
