//! Organisations and their members.
use async_graphql::{Context, ID, InputObject, Object, Result};

use super::common::{LocalizedTextInput, LocalizedTextOutput, Municipality, best_text, parse_id};
use super::connection::{CountedConnection, connection, page_request};
use super::context::{access, authorize, request, state};
use super::enums::{Language, OrganisationKind, Role};
use super::loaders::{MembersOf, load_error};
use super::users::User;
use crate::domain::business_id::BusinessId;
use crate::domain::contact::{EmailAddress, PhoneNumber, WebAddress};
use crate::domain::ids::{OrganisationId, UserId};
use crate::domain::permissions::Access;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::organisations::{self as service, OrganisationFilter, OrganisationSpec};
use crate::service::users::{self as users, NewUser};

/// An organisation: the welfare region, a municipality, an NGO, a parish, a school, a company.
pub struct Organisation(pub service::Organisation);

#[Object]
impl Organisation {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Sector.
    async fn kind(&self) -> OrganisationKind {
        self.0.kind.into()
    }

    /// Name in each language given.
    async fn name(&self) -> LocalizedTextOutput {
        (&self.0.name).into()
    }

    /// The name in `language`, or in whichever language exists.
    async fn display_name(&self, language: Option<Language>) -> Option<String> {
        best_text(&self.0.name, language)
    }

    /// Y-tunnus; informal groups have none.
    async fn business_id(&self) -> Option<&str> {
        self.0.business_id.as_deref()
    }

    /// Home municipality.
    async fn municipality(&self, ctx: &Context<'_>) -> Result<Municipality> {
        let code = &self.0.municipality_code;
        Ok(state(ctx)?
            .municipalities
            .by_code(code)
            .map(Municipality::from)
            .ok_or_else(|| AppError::internal(format!("unknown municipality {code}")))?)
    }

    /// Description.
    async fn description(&self) -> LocalizedTextOutput {
        (&self.0.description).into()
    }

    /// Public contact email.
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }

    /// Public contact phone.
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }

    /// Web site.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// Members and their roles; visible to members and the coordinator, empty to others.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        if !access(ctx)?.can_see_members_of(self.0.id) {
            return Ok(Vec::new());
        }
        let members = request(ctx)?
            .loader
            .load_one(MembersOf(self.0.id))
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        Ok(members.into_iter().map(Membership).collect())
    }

    /// Created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// A user's role in an organisation.
pub struct Membership(users::Member);

#[Object]
impl Membership {
    /// The member.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let user = request(ctx)?
            .loader
            .load_one(self.0.user_id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| AppError::not_found("user", self.0.user_id))?;
        Ok(User(user))
    }

    /// Their role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
}

/// An organisation to create, or the new details of an existing one.
#[derive(InputObject, Clone)]
pub struct OrganisationInput {
    /// Sector.
    pub kind: OrganisationKind,
    /// Name, in at least one language.
    pub name: LocalizedTextInput,
    /// Y-tunnus (checked); leave out for informal groups.
    pub business_id: Option<String>,
    /// Home municipality: its code or its Finnish or Swedish name.
    pub municipality: String,
    /// Description.
    pub description: Option<LocalizedTextInput>,
    /// Public contact email.
    pub contact_email: Option<String>,
    /// Public contact phone.
    pub contact_phone: Option<String>,
    /// Web site (http or https).
    pub website: Option<String>,
}

impl OrganisationInput {
    fn into_spec(self, ctx: &Context<'_>) -> Result<OrganisationSpec, AppError> {
        let directory = &state(ctx)?.municipalities;
        let spec = (|| -> Result<OrganisationSpec, ValidationError> {
            Ok(OrganisationSpec {
                kind: self.kind.into(),
                name: self.name.required("name", 200)?,
                business_id: self
                    .business_id
                    .as_deref()
                    .map(BusinessId::parse)
                    .transpose()?,
                municipality_code: directory
                    .resolve("municipality", &self.municipality)?
                    .code
                    .clone(),
                description: self.description.unwrap_or_default().optional(),
                contact_email: self
                    .contact_email
                    .as_deref()
                    .map(|e| EmailAddress::parse("contactEmail", e))
                    .transpose()?,
                contact_phone: self
                    .contact_phone
                    .as_deref()
                    .map(|p| PhoneNumber::parse("contactPhone", p))
                    .transpose()?,
                website: self
                    .website
                    .as_deref()
                    .map(|w| WebAddress::parse("website", w))
                    .transpose()?,
            })
        })();
        spec.map_err(|e| AppError::Validation(e.within("input")))
    }
}

/// Filters of the organisation list.
#[derive(InputObject, Default)]
pub struct OrganisationFilterInput {
    /// Only these sectors.
    pub kinds: Option<Vec<OrganisationKind>>,
    /// Only of this municipality: code or Finnish or Swedish name.
    pub municipality: Option<String>,
    /// Words to find in names and descriptions, in any language.
    pub text: Option<String>,
}

/// Someone to add to an organisation; unknown email addresses become new users.
#[derive(InputObject)]
pub struct AddMemberInput {
    /// The organisation.
    pub organisation_id: ID,
    /// The person's email address.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// Their name, for a new user.
    pub name: Option<String>,
    /// Their preferred language, for a new user (default Finnish).
    pub language: Option<Language>,
}

/// Reading organisations.
#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// One organisation.
    async fn organisation(&self, ctx: &Context<'_>, id: ID) -> Result<Organisation> {
        let id = OrganisationId(parse_id("id", &id).map_err(AppError::from)?);
        Ok(Organisation(service::get(&state(ctx)?.db, id).await?))
    }

    /// Organisations, by id; at most 100 a page.
    async fn organisations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganisationFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Organisation>> {
        let state = state(ctx)?;
        let page = page_request(first, after).map_err(AppError::from)?;
        let filter = filter.unwrap_or_default();
        let filter = OrganisationFilter {
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            municipality_code: filter
                .municipality
                .map(|m| {
                    state
                        .municipalities
                        .resolve("filter.municipality", &m)
                        .map(|m| m.code.clone())
                })
                .transpose()
                .map_err(AppError::from)?,
            text: filter.text,
        };
        let rows = service::list(&state.db, &filter, page).await?;
        Ok(connection(page, rows, |o| o.id.0, Organisation))
    }
}

/// Changing organisations and their members.
#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Creates an organisation (the coordinator's task).
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        input: OrganisationInput,
    ) -> Result<Organisation> {
        authorize(
            ctx,
            Access::can_create_organisation,
            "only the coordinator creates organisations",
        )?;
        let spec = input.into_spec(ctx)?;
        Ok(Organisation(service::create(&state(ctx)?.db, spec).await?))
    }

    /// Replaces an organisation's details (its admins and the coordinator).
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: OrganisationInput,
    ) -> Result<Organisation> {
        let id = OrganisationId(parse_id("id", &id).map_err(AppError::from)?);
        authorize(
            ctx,
            |a| a.can_manage_organisation(id),
            "only the organisation's admins change it",
        )?;
        let spec = input.into_spec(ctx)?;
        Ok(Organisation(
            service::update(&state(ctx)?.db, id, spec).await?,
        ))
    }

    /// Adds a member or changes their role (the organisation's admins and the coordinator).
    async fn add_member(&self, ctx: &Context<'_>, input: AddMemberInput) -> Result<Organisation> {
        let id = OrganisationId(
            parse_id("input.organisationId", &input.organisation_id).map_err(AppError::from)?,
        );
        authorize(
            ctx,
            |a| a.can_manage_organisation(id),
            "only the organisation's admins manage members",
        )?;
        let db = &state(ctx)?.db;
        let organisation = service::get(db, id).await?;
        let new_user = NewUser {
            email: EmailAddress::parse("input.email", &input.email).map_err(AppError::from)?,
            name: input.name,
            language: input
                .language
                .map_or(crate::domain::localized::Language::Fi, Into::into),
            coordinator: false,
        };
        users::set_member(db, id, new_user, input.role.into()).await?;
        Ok(Organisation(organisation))
    }

    /// Removes a member; the last admin stays.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        user_id: ID,
    ) -> Result<Organisation> {
        let id =
            OrganisationId(parse_id("organisationId", &organisation_id).map_err(AppError::from)?);
        let user = UserId(parse_id("userId", &user_id).map_err(AppError::from)?);
        authorize(
            ctx,
            |a| a.can_manage_organisation(id),
            "only the organisation's admins manage members",
        )?;
        let db = &state(ctx)?.db;
        users::remove_member(db, id, user).await?;
        Ok(Organisation(service::get(db, id).await?))
    }
}
